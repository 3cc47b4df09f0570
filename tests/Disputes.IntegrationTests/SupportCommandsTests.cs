using System.Diagnostics;
using System.Reflection;
using System.Text.Json;
using Disputes.EventBus;
using Disputes.Procedure;
using Disputes.Redis;
using Disputes.Tools.Support;
using Microsoft.Extensions.Time.Testing;
using StackExchange.Redis;

namespace Disputes.IntegrationTests;

/// <summary>The support commands (bus status, dead letters) against a real redis-server and a real consumer.</summary>
[Collection(RedisCollection.Name)]
public sealed class SupportCommandsTests(RedisServerFixture redis) : IAsyncLifetime
{
    private const string Topic = "challenge-raised";
    private const string DeadLetters = "challenge-raised-deadletter";
    private const string Narrative = "Injuries were seen twice.";
    private static readonly DateTimeOffset Epoch = DateTimeOffset.FromUnixTimeMilliseconds(1_800_000_000_000);

    public Task InitializeAsync() => redis.FlushAsync();

    public Task DisposeAsync() => Task.CompletedTask;

    private IDatabase Db => redis.Redis.GetDatabase();

    private static string IdAt(TimeSpan after, int sequence = 0) => $"{(Epoch + after).ToUnixTimeMilliseconds()}-{sequence}";

    private static string CloudEvent(string id, string dispute, long version = 4) => JsonSerializer.Serialize(new Dictionary<string, object>
    {
        ["specversion"] = "1.0",
        ["id"] = id,
        ["source"] = "challenge",
        ["type"] = "disputes.v1.ChallengeRaised",
        ["time"] = "2027-01-15T08:00:00Z",
        ["topic"] = Topic,
        ["traceparent"] = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
        ["disputeid"] = dispute,
        ["data"] = new Dictionary<string, object> { ["challenge"] = $"challenges/{dispute}", ["version"] = version.ToString(), ["subject"] = Narrative },
    });

    [Fact]
    public async Task Bus_status_reports_length_lag_pending_ages_dead_letters_and_outboxes()
    {
        // Five entries published 0..4 s after the epoch; records has read three and acknowledged one.
        for (var i = 0; i < 5; i++)
            await Db.StreamAddAsync(Topic, "data", CloudEvent($"e{i}", "c1"), IdAt(TimeSpan.FromSeconds(i)));
        await Db.StreamCreateConsumerGroupAsync(Topic, "records", "0");
        await Db.StreamCreateConsumerGroupAsync(Topic, "notification", "$");
        var read = await Db.StreamReadGroupAsync(Topic, "records", "records-1", ">", 3);
        await Db.StreamAcknowledgeAsync(Topic, "records", read[0].Id);
        await Db.StreamAddAsync(DeadLetters, "data", CloudEvent("dead", "c2"));
        // The escalation outbox holds one entry in each of two partitions and a dead letter in a third; notification's is empty.
        var (escalationOutbox, notificationOutbox) = (OutboxReads.Of("escalation"), OutboxReads.Of("notification"));
        await Db.StreamAddAsync(escalationOutbox.StreamKeyIn(3), "envelope", "{}", IdAt(TimeSpan.FromSeconds(3)));
        await Db.StreamAddAsync(escalationOutbox.StreamKeyIn(12), "envelope", "{}", IdAt(TimeSpan.FromSeconds(2)));
        await Db.StreamAddAsync(escalationOutbox.DeadLetterStreamKeyIn(7), "envelope", "{}");
        await Db.StreamAddAsync(notificationOutbox.StreamKeyIn(0), "envelope", "{}", IdAt(TimeSpan.Zero));
        await Db.StreamDeleteAsync(notificationOutbox.StreamKeyIn(0), [IdAt(TimeSpan.Zero)]);

        var clock = new FakeTimeProvider(Epoch + TimeSpan.FromSeconds(10));
        var status = await new BusInspector(redis.Redis, clock).StatusAsync();

        Assert.Equal(IntegrationEvents.All.Select(IntegrationEvents.TopicOf).Order(StringComparer.Ordinal), status.Topics.Select(t => t.Topic));
        var topic = status.Topics.Single(t => t.Topic == Topic);
        Assert.Equal((5, 1), (topic.Length, topic.DeadLetters));
        Assert.Equal(["notification", "records"], topic.Groups.Select(g => g.Group));
        var records = topic.Groups.Single(g => g.Group == "records");
        Assert.Equal((2L, 2L, 1), (records.Lag!.Value, records.Pending, records.Consumers));
        Assert.Equal(TimeSpan.FromSeconds(9), records.OldestPendingAge);
        Assert.Equal(1, records.OldestPendingDeliveries);
        var notification = topic.Groups.Single(g => g.Group == "notification");
        Assert.Equal((0L, 0L), (notification.Lag!.Value, notification.Pending));
        Assert.Null(notification.OldestPendingAge);
        Assert.Empty(status.Topics.Single(t => t.Topic == "challenge-resolved").Groups);

        Assert.Equal(["escalation", "notification"], status.Outboxes.Select(o => o.App));
        var escalation = status.Outboxes[0];
        Assert.Equal(("escalation:outbox", 2L, 1L, 2), (escalation.Stream, escalation.Length, escalation.DeadLetters, escalation.Partitions));
        Assert.Equal(TimeSpan.FromSeconds(8), escalation.OldestEntryAge);
        Assert.Equal((0L, (TimeSpan?)null), (status.Outboxes[1].Length, status.Outboxes[1].OldestEntryAge));

        var tables = new StringWriter();
        var console = Spectre.Console.AnsiConsole.Create(new Spectre.Console.AnsiConsoleSettings { Out = new Spectre.Console.AnsiConsoleOutput(tables), Ansi = Spectre.Console.AnsiSupport.No });
        console.Profile.Width = 250;
        Disputes.Tools.BusCommand.Render(console, status);
        Assert.Contains("escalation:outbox", tables.ToString());
        Assert.Contains("9s", tables.ToString());
    }

    /// <summary>Four events on the topic, the first <paramref name="read"/> of them read by the records group.</summary>
    private async Task FourEventsReadByRecordsAsync(int read)
    {
        for (var i = 0; i < 4; i++)
            await Db.StreamAddAsync(Topic, "data", CloudEvent($"e{i}", "c1"), IdAt(TimeSpan.FromSeconds(i)));
        await Db.StreamCreateConsumerGroupAsync(Topic, "records", "0");
        await Db.StreamReadGroupAsync(Topic, "records", "records-1", ">", read);
    }

    [Fact]
    public async Task Bus_status_counts_the_lag_itself_when_Redis_cannot_say()
    {
        await FourEventsReadByRecordsAsync(1);
        // A deletion after the group's position leaves Redis unable to say the lag.
        await Db.StreamDeleteAsync(Topic, [IdAt(TimeSpan.FromSeconds(2))]);

        var status = await new BusInspector(redis.Redis, new FakeTimeProvider(Epoch)).StatusAsync();

        Assert.Equal(2, status.Topics.Single(t => t.Topic == Topic).Groups.Single().Lag);
    }

    [Fact]
    public async Task Bus_status_shows_no_lag_for_a_group_given_the_last_entry_whatever_Redis_counts()
    {
        await FourEventsReadByRecordsAsync(4);
        await Db.StreamAcknowledgeAsync(Topic, "records", Enumerable.Range(0, 4).Select(i => (RedisValue)IdAt(TimeSpan.FromSeconds(i))).ToArray());
        // Redis's entries-read count drifts (seen after a busy run: a lag of 303 on an idle group at the
        // stream's end); set it wrong on purpose.
        await Db.ExecuteAsync("XGROUP", "SETID", Topic, "records", IdAt(TimeSpan.FromSeconds(3)), "ENTRIESREAD", 1);
        Assert.Equal(3L, (long)(await Db.StreamGroupInfoAsync(Topic)).Single().Lag!);

        var status = await new BusInspector(redis.Redis, new FakeTimeProvider(Epoch)).StatusAsync();

        var group = status.Topics.Single(t => t.Topic == Topic).Groups.Single();
        Assert.Equal((0L, 0L), (group.Lag!.Value, group.Pending));
    }

    [Fact]
    public async Task A_dead_letter_shows_why_and_which_event_never_the_narrative()
    {
        var id = await Db.StreamAddAsync(DeadLetters, [
            new NameValueEntry("data", CloudEvent("event-7", "c7", version: 3)),
            new NameValueEntry("deadletter-reason", "handler failed 5 times"),
            new NameValueEntry("deadletter-entry-id", "1800000000000-4"),
        ]);
        await Db.StreamAddAsync(DeadLetters, "data", CloudEvent("event-8", "c8"));
        await Db.StreamAddAsync(DeadLetters, "data", "not json");
        var desk = new DeadLetterDesk(redis.Redis, TimeProvider.System);

        var (total, listed) = await desk.ListAsync(Topic, limit: 2);
        var shown = await desk.ShowAsync(Topic, id.ToString());

        Assert.Equal(3, total);
        Assert.Equal(["event-7", "event-8"], listed.Select(d => d.EventId));
        Assert.NotNull(shown);
        Assert.Equal(("handler failed 5 times", "1800000000000-4"), (shown.Reason, shown.OriginalEntryId));
        Assert.Equal(("event-7", "disputes.v1.ChallengeRaised", "challenge", "c7", 3L), (shown.EventId, shown.EventType, shown.Source, shown.DisputeId, shown.Version!.Value));
        Assert.Equal(("4bf92f3577b34da6a3ce929d0e0e4736", new DateTimeOffset(2027, 1, 15, 8, 0, 0, TimeSpan.Zero)), (shown.TraceId, shown.EventTime!.Value));
        Assert.Null(listed[1].Reason);
        Assert.DoesNotContain(Narrative, JsonSerializer.Serialize(listed, SupportCommandOptions.JsonOptions));
        Assert.DoesNotContain(Narrative, JsonSerializer.Serialize(shown, SupportCommandOptions.JsonOptions));
        var unreadable = (await desk.ListAsync(Topic, 10)).DeadLetters[2];
        Assert.False(unreadable.IsCloudEvent);
        Assert.Equal(["data"], unreadable.Fields);
        Assert.Null(await desk.ShowAsync(Topic, "1-0"));
    }

    [Fact]
    public async Task A_replay_puts_the_event_back_once_and_the_consumer_that_gave_up_handles_it()
    {
        // The handler fails every attempt the bus allows (3), so the event is dead-lettered; then it recovers.
        await using var records = await BusHost.StartAsync(redis, "records", failuresBeforeSuccess: 3);
        var envelope = records.Events.Create(TestEvents.Raised(7));
        await records.Publisher.PublishAsync(envelope, CancellationToken.None);
        await Eventually.HoldsAsync(async () => await Db.StreamLengthAsync(DeadLetters) == 1, "the event is dead-lettered");
        var entryId = (await Db.StreamRangeAsync(DeadLetters))[0].Id.ToString();
        var desk = new DeadLetterDesk(redis.Redis, new FakeTimeProvider(Epoch));

        var replayed = await desk.ReplayAsync(Topic, entryId, "support-anna", "handler fixed in 1.4.2");

        Assert.Equal(DeadLetterOutcome.Replayed, replayed.Outcome);
        await Eventually.HoldsAsync(() => records.Handler.Handled.Count == 1, "the replayed event is handled");
        Assert.Equal(envelope.Id, records.Handler.Handled.Single().Context.EventId);
        Assert.Equal(0, await Db.StreamLengthAsync(DeadLetters));

        var again = await desk.ReplayAsync(Topic, entryId, "support-anna", "pressed twice");
        Assert.Equal(DeadLetterOutcome.AlreadyReplayed, again.Outcome);
        Assert.Contains("support-anna", again.Detail);
        Assert.Equal(replayed.ReplayedEntryId, (await Db.StreamInfoAsync(Topic)).LastGeneratedId.ToString());

        var audit = await Db.StreamRangeAsync(SupportAudit.StreamKey);
        var entry = Assert.Single(audit);
        Assert.Equal("support-anna", entry["who"].ToString());
        Assert.Equal("replay", entry["action"].ToString());
        Assert.Equal("handler fixed in 1.4.2", entry["why"].ToString());
        Assert.Equal(Epoch.UtcDateTime.ToString("O"), entry["when"].ToString());
        Assert.Equal(envelope.Id, entry["event-id"].ToString());
        Assert.Equal(envelope.DisputeId, entry["dispute-id"].ToString());
        Assert.Equal(entryId, entry["deadletter-entry-id"].ToString());
        await Task.Delay(200);
        Assert.Single(records.Handler.Handled);
    }

    [Fact]
    public async Task Replays_of_one_dead_letter_racing_each_other_put_it_back_exactly_once()
    {
        // Many rounds: a racer that looks between the winner's claim and its own read must still answer
        // AlreadyReplayed (the claim removes the entry), never NotFound.
        const int Rounds = 30;
        var other = (await Db.StreamAddAsync(DeadLetters, "data", CloudEvent("other", "c10"))).ToString();
        for (var round = 0; round < Rounds; round++)
        {
            var entryId = (await Db.StreamAddAsync(DeadLetters, "data", CloudEvent($"raced-{round}", "c9"))).ToString();
            var desks = Enumerable.Range(0, 8).Select(_ => new DeadLetterDesk(redis.Redis, TimeProvider.System));

            var outcomes = await Task.WhenAll(desks.Select(desk => desk.ReplayAsync(Topic, entryId, "support", "retry")));

            Assert.Single(outcomes, o => o.Outcome == DeadLetterOutcome.Replayed);
            Assert.All(outcomes, o => Assert.Contains(o.Outcome, new[] { DeadLetterOutcome.Replayed, DeadLetterOutcome.AlreadyReplayed, DeadLetterOutcome.Busy }));
        }
        var onTopic = await Db.StreamRangeAsync(Topic);
        Assert.Equal(Enumerable.Range(0, Rounds).Select(r => $"raced-{r}"), onTopic.Select(e => EventEnvelope.TryParse(e["data"].ToString())!.Id));
        Assert.All(onTopic, entry => Assert.Equal(["data"], entry.Values.Select(v => v.Name.ToString())));
        Assert.Equal([other], (await Db.StreamRangeAsync(DeadLetters)).Select(e => e.Id.ToString()));
        Assert.Equal(Rounds, await Db.StreamLengthAsync(SupportAudit.StreamKey));
    }

    [Fact]
    public async Task An_entry_without_a_CloudEvent_is_not_replayed_and_nothing_changes()
    {
        var entryId = (await Db.StreamAddAsync(DeadLetters, [new NameValueEntry("payload", "x"), new NameValueEntry("deadletter-reason", "no data field")])).ToString();
        var desk = new DeadLetterDesk(redis.Redis, TimeProvider.System);

        var replay = await desk.ReplayAsync(Topic, entryId, "support", null);

        Assert.Equal(DeadLetterOutcome.NotReplayable, replay.Outcome);
        Assert.Equal(1, await Db.StreamLengthAsync(DeadLetters));
        Assert.False(await Db.KeyExistsAsync(Topic));
        Assert.False(await Db.KeyExistsAsync(SupportAudit.StreamKey));
        Assert.Equal(DeadLetterOutcome.NotFound, (await desk.ReplayAsync(Topic, "1-0", "support", null)).Outcome);
    }

    [Fact]
    public async Task A_discard_needs_a_reason_removes_the_dead_letter_and_is_audited()
    {
        var entryId = (await Db.StreamAddAsync(DeadLetters, "data", CloudEvent("obsolete", "c11"))).ToString();
        var desk = new DeadLetterDesk(redis.Redis, new FakeTimeProvider(Epoch));

        await Assert.ThrowsAsync<ArgumentException>(() => desk.DiscardAsync(Topic, entryId, "support-ben", "  "));
        Assert.Equal(1, await Db.StreamLengthAsync(DeadLetters));

        var discarded = await desk.DiscardAsync(Topic, entryId, "support-ben", "the challenge was withdrawn before the fix");

        Assert.Equal(DeadLetterOutcome.Discarded, discarded.Outcome);
        Assert.Equal(0, await Db.StreamLengthAsync(DeadLetters));
        Assert.False(await Db.KeyExistsAsync(Topic));
        var audit = Assert.Single(await Db.StreamRangeAsync(SupportAudit.StreamKey));
        Assert.Equal(("support-ben", "discard", "the challenge was withdrawn before the fix", "obsolete", "c11"),
            (audit["who"].ToString(), audit["action"].ToString(), audit["why"].ToString(), audit["event-id"].ToString(), audit["dispute-id"].ToString()));
        Assert.Equal(DeadLetterOutcome.NotFound, (await desk.DiscardAsync(Topic, entryId, "support-ben", "again")).Outcome);
        Assert.Equal(DeadLetterOutcome.NotFound, (await desk.ReplayAsync(Topic, entryId, "support-ben", null)).Outcome);
        Assert.Equal(1, await Db.StreamLengthAsync(SupportAudit.StreamKey));
    }

    [Fact]
    public async Task An_outboxs_dead_letters_are_listed_over_its_partitions_and_shown_without_the_narrative()
    {
        var outbox = OutboxReads.Of("challenge");
        var (first, second) = (RedisPartitions.Of("c20"), RedisPartitions.Of("c21"));
        Assert.NotEqual(first, second);
        await Db.StreamAddAsync(outbox.DeadLetterStreamKeyIn(second), [
            new NameValueEntry("envelope", CloudEvent("late", "c21")),
            new NameValueEntry("deadletter-reason", "publish failed 10 times: TimeoutException"),
        ], IdAt(TimeSpan.FromSeconds(5)));
        await Db.StreamAddAsync(outbox.DeadLetterStreamKeyIn(first), [
            new NameValueEntry("envelope", CloudEvent("early", "c20")),
            new NameValueEntry("deadletter-reason", "publish failed 10 times: TimeoutException"),
        ], IdAt(TimeSpan.FromSeconds(1)));
        var desk = new DeadLetterDesk(redis.Redis, TimeProvider.System);

        var (total, listed) = await desk.ListOutboxAsync("challenge:outbox", 10);
        var shown = await desk.ShowOutboxAsync("challenge:outbox", $"p{second:D2}/{IdAt(TimeSpan.FromSeconds(5))}");

        Assert.Equal(2, total);
        Assert.Equal(["early", "late"], listed.Select(d => d.EventId));
        Assert.Equal($"p{first:D2}/{IdAt(TimeSpan.FromSeconds(1))}", listed[0].EntryId);
        Assert.NotNull(shown);
        Assert.Equal(("late", "c21", "publish failed 10 times: TimeoutException"), (shown.EventId, shown.DisputeId, shown.Reason));
        Assert.Null(await desk.ShowOutboxAsync("challenge:outbox", $"p{first:D2}/{IdAt(TimeSpan.FromSeconds(5))}"));
        Assert.Null(await desk.ShowOutboxAsync("challenge:outbox", "p16/1-0"));
        Assert.DoesNotContain(Narrative, JsonSerializer.Serialize(listed, SupportCommandOptions.JsonOptions));
    }

    [Fact]
    public async Task An_outbox_dead_letter_replayed_goes_back_in_its_outbox_and_the_relay_publishes_it_once()
    {
        await using var challenge = await BusHost.StartAsync(redis, "challenge", withOutbox: true);
        var partition = RedisPartitions.Of("c30");
        var deadLetters = OutboxReads.Of("challenge").DeadLetterStreamKeyIn(partition);
        Assert.Equal(HashSlot.Of(deadLetters), HashSlot.Of(DeadLetterDesk.OutboxReplayedKeyOf(partition)));
        var entryId = (await Db.StreamAddAsync(deadLetters, [
            new NameValueEntry("envelope", CloudEvent("stuck", "c30")),
            new NameValueEntry("deadletter-reason", "publish failed 10 times: RedisServerException"),
        ])).ToString();
        var entry = $"p{partition:D2}/{entryId}";

        // Replays racing each other: one puts it back, the others see it done.
        var outcomes = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ =>
            new DeadLetterDesk(redis.Redis, new FakeTimeProvider(Epoch)).ReplayOutboxAsync("challenge:outbox", entry, "support-anna", "topic ACL fixed")));

        var replayed = Assert.Single(outcomes, o => o.Outcome == DeadLetterOutcome.Replayed);
        Assert.All(outcomes, o => Assert.Contains(o.Outcome, new[] { DeadLetterOutcome.Replayed, DeadLetterOutcome.AlreadyReplayed, DeadLetterOutcome.Busy }));
        Assert.StartsWith($"p{partition:D2}/", replayed.ReplayedEntryId);
        await Eventually.HoldsAsync(async () => await Db.StreamLengthAsync(Topic) == 1, "the relay publishes the replayed event");
        Assert.Equal("stuck", EventEnvelope.TryParse((await Db.StreamRangeAsync(Topic))[0]["data"].ToString())!.Id);
        Assert.Equal(0, await Db.StreamLengthAsync(deadLetters));
        var audit = Assert.Single(await Db.StreamRangeAsync(SupportAudit.StreamKey));
        Assert.Equal(("support-anna", "replay", "topic ACL fixed", "stuck", "c30"),
            (audit["who"].ToString(), audit["action"].ToString(), audit["why"].ToString(), audit["event-id"].ToString(), audit["dispute-id"].ToString()));

        var again = await new DeadLetterDesk(redis.Redis, TimeProvider.System).ReplayOutboxAsync("challenge:outbox", entry, "support-ben", null);
        Assert.Equal(DeadLetterOutcome.AlreadyReplayed, again.Outcome);
        Assert.Contains("support-anna", again.Detail);
        await Task.Delay(300);
        Assert.Equal(1, await Db.StreamLengthAsync(Topic));
    }

    [Fact]
    public async Task An_outbox_dead_letter_is_discarded_with_a_reason_and_one_without_a_CloudEvent_is_not_replayed()
    {
        var partition = RedisPartitions.Of("c31");
        var deadLetters = OutboxReads.Of("records").DeadLetterStreamKeyIn(partition);
        var broken = $"p{partition:D2}/{await Db.StreamAddAsync(deadLetters, [new NameValueEntry("deadletter-reason", "not a CloudEvent")])}";
        var obsolete = $"p{partition:D2}/{await Db.StreamAddAsync(deadLetters, "envelope", CloudEvent("obsolete", "c31"))}";
        var desk = new DeadLetterDesk(redis.Redis, new FakeTimeProvider(Epoch));

        Assert.Equal(DeadLetterOutcome.NotReplayable, (await desk.ReplayOutboxAsync("records:outbox", broken, "support-ben", null)).Outcome);
        var discarded = await desk.DiscardOutboxAsync("records:outbox", obsolete, "support-ben", "the challenge was withdrawn");

        Assert.Equal(DeadLetterOutcome.Discarded, discarded.Outcome);
        Assert.Equal(1, await Db.StreamLengthAsync(deadLetters));
        Assert.Equal(DeadLetterOutcome.NotFound, (await desk.DiscardOutboxAsync("records:outbox", obsolete, "support-ben", "again")).Outcome);
        Assert.Equal(DeadLetterOutcome.NotFound, (await desk.ReplayOutboxAsync("records:outbox", "p16/1-0", "support-ben", null)).Outcome);
        var audit = Assert.Single(await Db.StreamRangeAsync(SupportAudit.StreamKey));
        Assert.Equal(("discard", "the challenge was withdrawn", "obsolete"), (audit["action"].ToString(), audit["why"].ToString(), audit["event-id"].ToString()));
        Assert.Empty(await OutboxReads.EntriesAsync(Db, "records"));
    }

    [Fact]
    public async Task A_replay_cut_off_after_its_claim_is_completed_by_the_next_replay_once_it_is_stale()
    {
        // A replay claimed the dead letter (removed it, kept the event) and stopped before the topic got it.
        var marker = DeadLetterDesk.ReplayedKeyOf(DeadLetters);
        Assert.Equal(HashSlot.Of(DeadLetters), HashSlot.Of(marker));
        await Db.HashSetAsync(marker, [new HashEntry("1800000000000-0", $"{Epoch.UtcDateTime:O} support-anna"), new HashEntry("1800000000000-0:event", CloudEvent("cut-off", "c13"))]);
        var clock = new FakeTimeProvider(Epoch + TimeSpan.FromSeconds(5));
        var desk = new DeadLetterDesk(redis.Redis, clock);

        Assert.Equal(DeadLetterOutcome.AlreadyReplayed, (await desk.ReplayAsync(Topic, "1800000000000-0", "support-ben", null)).Outcome);
        Assert.False(await Db.KeyExistsAsync(Topic));

        clock.Advance(DeadLetterDesk.InterruptedAfter);
        var completed = await desk.ReplayAsync(Topic, "1800000000000-0", "support-ben", "cut off");
        var again = await desk.ReplayAsync(Topic, "1800000000000-0", "support-ben", null);

        Assert.Equal(DeadLetterOutcome.Replayed, completed.Outcome);
        Assert.Equal(["cut-off"], (await Db.StreamRangeAsync(Topic)).Select(e => EventEnvelope.TryParse(e["data"].ToString())!.Id));
        Assert.Equal(DeadLetterOutcome.AlreadyReplayed, again.Outcome);
        Assert.Equal(1, await Db.StreamLengthAsync(Topic));
        Assert.Equal("support-ben", Assert.Single(await Db.StreamRangeAsync(SupportAudit.StreamKey))["who"].ToString());
    }

    [Fact]
    public async Task The_commands_run_as_a_process_against_a_local_Redis()
    {
        var entryId = (await Db.StreamAddAsync(DeadLetters, [
            new NameValueEntry("data", CloudEvent("cli-event", "c12")),
            new NameValueEntry("deadletter-reason", "handler failed 5 times"),
        ])).ToString();
        var address = $"127.0.0.1:{redis.Port}";

        var status = await RunToolAsync("bus", "status", "--json", "--redis", address);
        var listed = await RunToolAsync("deadletters", "list", Topic, "--json", "--redis", address);
        var replayed = await RunToolAsync("deadletters", "replay", Topic, entryId, "--json", "--redis", address, "--operator", "support-cli", "--reason", "fixed");
        var again = await RunToolAsync("deadletters", "replay", Topic, entryId, "--redis", address);
        var unknown = await RunToolAsync("deadletters", "list", "no-such-topic", "--redis", address);
        var noReason = await RunToolAsync("deadletters", "discard", Topic, entryId, "--redis", address);
        var partition = RedisPartitions.Of("c14");
        var outboxEntry = await Db.StreamAddAsync(OutboxReads.Of("challenge").DeadLetterStreamKeyIn(partition), "envelope", CloudEvent("cli-outboxed", "c14"));
        var outboxReplay = await RunToolAsync("deadletters", "replay", "challenge:outbox", $"p{partition:D2}/{outboxEntry}", "--redis", address, "--operator", "support-cli");

        Assert.True(status.Exit == 0, status.Error);
        using (var json = JsonDocument.Parse(status.Output))
            Assert.Equal(1, json.RootElement.GetProperty("topics").EnumerateArray().Single(t => t.GetProperty("topic").GetString() == Topic).GetProperty("deadLetters").GetInt32());
        Assert.True(listed.Exit == 0, listed.Error);
        using (var json = JsonDocument.Parse(listed.Output))
            Assert.Equal("handler failed 5 times", json.RootElement.GetProperty("deadLetters")[0].GetProperty("reason").GetString());
        Assert.True(replayed.Exit == 0, replayed.Error);
        using (var json = JsonDocument.Parse(replayed.Output))
            Assert.Equal("Replayed", json.RootElement.GetProperty("outcome").GetString());
        Assert.Equal(0, again.Exit);
        Assert.Contains("already replayed", again.Output);
        Assert.NotEqual(0, unknown.Exit);
        Assert.Contains("Unknown topic", unknown.Error);
        Assert.NotEqual(0, noReason.Exit);
        Assert.Contains("--reason", noReason.Error);
        Assert.True(outboxReplay.Exit == 0, outboxReplay.Error);
        Assert.Contains("put back in challenge:outbox", outboxReplay.Output);
        Assert.Equal(["cli-outboxed"], (await OutboxReads.EnvelopesAsync(Db, "challenge")).Select(e => e.Id));
        Assert.Equal(["support-cli", "support-cli"], (await Db.StreamRangeAsync(SupportAudit.StreamKey)).Select(e => e["who"].ToString()));
        Assert.DoesNotContain(Narrative, listed.Output);
    }

    [Fact]
    public async Task The_timers_benchmark_fires_every_timer_of_its_slice_and_reports_lateness_and_memory()
    {
        var run = await RunToolAsync("timers", "--pending", "5000", "--fired", "50", "--spread-seconds", "1");

        Assert.True(run.Exit == 0, run.Output + run.Error);
        Assert.Contains("pending timers loaded: 5,000", run.Output);
        Assert.Contains("fired: 50 of 50", run.Output);
        Assert.Matches(@"fire lateness \(ms\): p50 [\d.]+, p99 [\d.]+", run.Output);
        Assert.Matches(@"[1-9][\d.]* B per pending timer", run.Output);

        var refused = await RunToolAsync("timers", "--fired", "0");
        Assert.NotEqual(0, refused.Exit);
        Assert.Contains("--fired must be between 1 and 100000", refused.Error + refused.Output);
    }

    private static async Task<(int Exit, string Output, string Error)> RunToolAsync(params string[] arguments)
    {
        var configuration = typeof(SupportCommandsTests).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration ?? "Debug";
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "Disputes.slnx")))
            directory = directory.Parent;
        var tool = Path.Combine(directory!.FullName, "tools", "Disputes.Tools", "bin", configuration, "net10.0", "disputes-tools.dll");
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(tool);
        foreach (var argument in arguments)
            start.ArgumentList.Add(argument);
        start.Environment["NO_COLOR"] = "1";
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await output, await error);
    }
}
