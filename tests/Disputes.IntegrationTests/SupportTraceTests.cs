using System.Text.Json;
using Disputes.EventBus.Redis;
using Disputes.Redis;
using Disputes.Tools.Support;
using Disputes.V1;
using Google.Protobuf.WellKnownTypes;
using StackExchange.Redis;

namespace Disputes.IntegrationTests;

/// <summary>The trace command's two halves: a dispute's events held up on a real Redis bus, and the report it builds.</summary>
[Collection(RedisCollection.Name)]
public sealed class SupportTraceTests(RedisServerFixture redis) : IAsyncLifetime
{
    private const string Dispute = "01JD0000000000000000000042";
    private const string Narrative = "Neglect was reported again by the school";

    public Task InitializeAsync() => redis.FlushAsync();

    public Task DisposeAsync() => Task.CompletedTask;

    private IDatabase Db => redis.Redis.GetDatabase();

    private static string CloudEvent(string id, string dispute, string type = "disputes.v1.ChallengeRaised") => JsonSerializer.Serialize(new Dictionary<string, object>
    {
        ["specversion"] = "1.0",
        ["id"] = id,
        ["source"] = "challenge",
        ["type"] = type,
        ["time"] = "2027-01-15T08:00:00Z",
        ["traceparent"] = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
        ["disputeid"] = dispute,
        ["data"] = new Dictionary<string, object> { ["challenge"] = $"challenges/{dispute}", ["version"] = "1", ["subject"] = Narrative },
    });

    [Fact]
    public async Task The_events_of_a_dispute_held_up_on_the_bus_are_found_with_the_service_holding_each()
    {
        // challenge-raised: records handled e1 and holds e2 pending; notification has read nothing yet.
        await Db.StreamAddAsync("challenge-raised", "data", CloudEvent("e1", Dispute));
        await Db.StreamAddAsync("challenge-raised", "data", CloudEvent("other", "01JD0000000000000000000099"));
        await Db.StreamAddAsync("challenge-raised", "data", CloudEvent("e2", Dispute));
        await Db.StreamCreateConsumerGroupAsync("challenge-raised", "records", "0");
        await Db.StreamCreateConsumerGroupAsync("challenge-raised", "notification", "0");
        var read = await Db.StreamReadGroupAsync("challenge-raised", "records", "records-1", ">", 3);
        await Db.StreamAcknowledgeAsync("challenge-raised", "records", [read[0].Id, read[1].Id]);
        await Db.StreamReadGroupAsync("challenge-raised", "records", "records-1", "0", 3);
        // challenge-acknowledged: escalation handled e3, records gave up on it.
        await Db.StreamAddAsync("challenge-acknowledged", "data", CloudEvent("e3", Dispute, "disputes.v1.ChallengeAcknowledged"));
        await Db.StreamCreateConsumerGroupAsync("challenge-acknowledged", "records", "$");
        await Db.StreamCreateConsumerGroupAsync("challenge-acknowledged", "escalation", "$");
        await Db.StringSetAsync(RedisProcessedEvents.KeyOf("escalation", "e3", Dispute), 1);
        await Db.StreamAddAsync("challenge-acknowledged-deadletter", [
            new NameValueEntry("data", CloudEvent("e3", Dispute, "disputes.v1.ChallengeAcknowledged")),
            new NameValueEntry("deadletter-reason", "handler failed 5 times"),
        ]);
        // The escalation service's outbox holds one unpublished event; the challenge's outbox gave up on one.
        // Each in the dispute's partition, where the trace looks (e5, of another dispute, in its own).
        var (escalation, challenge) = (OutboxReads.Of("escalation"), OutboxReads.Of("challenge"));
        await Db.StreamAddAsync(escalation.StreamKeyOf(Dispute), "envelope", CloudEvent("e4", Dispute, "disputes.v1.ResponsiblePartiesRouted"));
        await Db.StreamAddAsync(escalation.StreamKeyOf("01JD0000000000000000000099"), "envelope", CloudEvent("e5", "01JD0000000000000000000099"));
        await Db.StreamAddAsync(challenge.DeadLetterStreamKeyIn(RedisPartitions.Of(Dispute)), [
            new NameValueEntry("envelope", CloudEvent("e6", Dispute, "disputes.v1.ChallengeEscalated")),
            new NameValueEntry("deadletter-reason", "publish failed 10 times"),
        ]);

        var held = await new DisputeBusEvents(redis.Redis).FindAsync(Dispute);

        var found = held.Select(h => (h.State, h.EventId, string.Join(",", h.Services))).OrderBy(h => h.EventId).ThenBy(h => h.Item3).ToArray();
        Assert.Equal(
        [
            (BusEventState.Undelivered, "e1", "notification"),
            (BusEventState.Pending, "e2", "records"),
            (BusEventState.Undelivered, "e2", "notification"),
            (BusEventState.DeadLettered, "e3", "records"),
            (BusEventState.Unpublished, "e4", "escalation"),
            (BusEventState.PublishDeadLettered, "e6", "challenge"),
        ], found.OrderBy(f => f.EventId).ThenBy(f => f.State == BusEventState.Undelivered).ToArray());
        var pending = held.Single(h => h.State == BusEventState.Pending);
        Assert.Equal((2, "challenge-raised"), (pending.Deliveries!.Value, pending.Stream));
        Assert.Equal("handler failed 5 times", held.Single(h => h.EventId == "e3").Reason);
        Assert.Equal("publish failed 10 times", held.Single(h => h.EventId == "e6").Reason);
        Assert.All(held, h => Assert.Equal("4bf92f3577b34da6a3ce929d0e0e4736", h.TraceId));
        Assert.DoesNotContain(Narrative, JsonSerializer.Serialize(held, SupportCommandOptions.JsonOptions));
        Assert.Empty(await new DisputeBusEvents(redis.Redis).FindAsync("01JD0000000000000000000077"));
    }

    [Fact]
    public void The_report_is_one_timeline_in_time_order_with_trace_links_and_no_narrative()
    {
        var t0 = new DateTimeOffset(2027, 1, 15, 8, 0, 0, TimeSpan.Zero);
        var challenge = new Disputes.V1.Challenge
        {
            Name = $"challenges/{Dispute}",
            Stage = Stage.LineManagers,
            State = ChallengeState.InDiscussion,
            Version = 3,
            TraceId = "aaaa0000000000000000000000000001",
            Subject = Narrative,
            RaisingParty = new Party { AgencyId = "police", ProfessionalId = "pc-101", Role = "police officer" },
            ReceivingParty = new Party { AgencyId = "childrens-social-care", ProfessionalId = "sw-7" },
            CreateTime = Timestamp.FromDateTimeOffset(t0),
            History =
            {
                new StageChange { Command = "raise", Stage = Stage.ProfessionalDiscussion, State = ChallengeState.AwaitingAcknowledgement, Version = 1,
                    ChangeTime = Timestamp.FromDateTimeOffset(t0), TraceId = "aaaa0000000000000000000000000001", Actor = new Party { AgencyId = "police", ProfessionalId = "pc-101" } },
                new StageChange { Command = "escalate", Stage = Stage.LineManagers, State = ChallengeState.InDiscussion, Version = 3,
                    ChangeTime = Timestamp.FromDateTimeOffset(t0.AddHours(2)), TraceId = "aaaa0000000000000000000000000003" },
            },
        };
        var escalation = new Disputes.V1.Escalation
        {
            Stage = Stage.LineManagers,
            Policy = "timescalePolicies/default@1",
            StageDueTime = Timestamp.FromDateTimeOffset(t0.AddDays(5)),
            OverallDueTime = Timestamp.FromDateTimeOffset(t0.AddDays(20)),
            ResponsibleParties = { new ResponsibleParty { Responsibility = Responsibility.Referrer, Party = new Party { AgencyId = "police", ProfessionalId = "pc-101" } } },
        };
        var deliveries = new[]
        {
            new Delivery { Name = $"challenges/{Dispute}/deliveries/d1", Notice = "challenge-received", Message = Narrative, RecipientRole = RecipientRole.ReceivingProfessional,
                Channel = Channel.Log, Status = DeliveryStatus.Delivered, Attempts = 1, CreateTime = Timestamp.FromDateTimeOffset(t0.AddSeconds(2)),
                TraceId = "aaaa0000000000000000000000000001", EventId = "e1" },
        };
        var entries = new[]
        {
            new RecordEntry { Name = $"challenges/{Dispute}/entries/2", Sequence = 2, Kind = RecordEntryKind.Escalated, Summary = Narrative,
                RecordTime = Timestamp.FromDateTimeOffset(t0.AddHours(2).AddSeconds(1)), TraceId = "aaaa0000000000000000000000000003" },
            new RecordEntry { Name = $"challenges/{Dispute}/entries/1", Sequence = 1, Kind = RecordEntryKind.ChallengeRaised, Summary = Narrative,
                RecordTime = Timestamp.FromDateTimeOffset(t0.AddSeconds(1)), TraceId = "aaaa0000000000000000000000000001", SourceEventId = "e1" },
        };

        var report = DisputeTracer.Build(Dispute, challenge, escalation, deliveries, entries, [], new TraceLinks("http://localhost:16686/trace/{traceId}"),
            t0.AddDays(6), []);

        Assert.Equal(["challenge", "records", "notification", "challenge", "records"], report.Timeline.Select(i => i.Service));
        Assert.Equal("raise: CHALLENGE_STATE_AWAITING_ACKNOWLEDGEMENT (version 1)", report.Timeline[0].What);
        Assert.Equal("#1 RECORD_ENTRY_KIND_CHALLENGE_RAISED", report.Timeline[1].What);
        Assert.Equal("police/pc-101", report.Timeline[0].Actor);
        Assert.Equal("http://localhost:16686/trace/aaaa0000000000000000000000000003", report.Timeline[4].TraceUrl);
        Assert.Equal("http://localhost:16686/trace/aaaa0000000000000000000000000001", report.Overview.TraceUrl);
        Assert.Equal(["stage"], report.Escalation!.Breaches);
        Assert.Equal("RESPONSIBILITY_REFERRER", report.Escalation.ResponsibleParties.Single().Responsibility);
        Assert.DoesNotContain(Narrative, JsonSerializer.Serialize(report, SupportCommandOptions.JsonOptions));
        Assert.DoesNotContain("police officer", JsonSerializer.Serialize(report, SupportCommandOptions.JsonOptions));

        var tables = new StringWriter();
        var console = Spectre.Console.AnsiConsole.Create(new Spectre.Console.AnsiConsoleSettings
        {
            Out = new Spectre.Console.AnsiConsoleOutput(tables),
            Ansi = Spectre.Console.AnsiSupport.No,
        });
        console.Profile.Width = 250;
        TraceRendering.Render(console, report with { Bus = [new BusEventOfDispute(BusEventState.Pending, "challenge-raised", "1-0", ["records"], "e1",
            "disputes.v1.ChallengeRaised", t0, "aaaa0000000000000000000000000001", 2, TimeSpan.FromSeconds(30), null)] });
        Assert.Contains("aaaa0000000000000000000000000003", tables.ToString());
        Assert.Contains("RECORD_ENTRY_KIND_ESCALATED", tables.ToString());
        Assert.Contains("overdue: stage", tables.ToString());
        Assert.Contains("Pending", tables.ToString());
        Assert.DoesNotContain(Narrative, tables.ToString());
    }
}
