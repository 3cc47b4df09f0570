using Disputes.Escalation.Domain;
using Disputes.Escalation.Events;
using Disputes.Escalation.Storage;
using Disputes.EventBus;
using Disputes.Procedure;
using Disputes.Redis;
using Disputes.V1;
using Disputes.V1.Events;
using Google.Protobuf;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using StackExchange.Redis;

namespace Disputes.IntegrationTests;

/// <summary>The durable timers against a real redis-server, with a fake clock: late after downtime, moved on a stage change, once across replicas.</summary>
[Collection(RedisCollection.Name)]
public sealed class EscalationTimerTests(RedisServerFixture redis) : IAsyncLifetime
{
    // Monday 23 November 2026, 10:00 UTC.
    private static readonly DateTimeOffset RaisedAt = new(2026, 11, 23, 10, 0, 0, TimeSpan.Zero);

    public Task InitializeAsync() => redis.FlushAsync();

    public Task DisposeAsync() => Task.CompletedTask;

    private IDatabase Db => redis.Redis.GetDatabase();

    private static async Task HandleAsync<TEvent, THandler>(EscalationTestHost host, TEvent @event)
        where TEvent : IMessage<TEvent>, new() where THandler : IIntegrationEventHandler<TEvent>
    {
        await using var scope = host.Services.CreateAsyncScope();
        await scope.ServiceProvider.GetRequiredService<THandler>().HandleAsync(@event,
            new EventContext(Guid.NewGuid().ToString("N"), "challenge", DateTimeOffset.UtcNow, null, IntegrationEvents.DisputeIdOf(@event)), CancellationToken.None);
    }

    private async Task<string[]> TimersOfAsync(string challengeId) =>
        (await Db.SortedSetRangeByRankAsync(EscalationStore.TimersOfPartition(challengeId))).Select(v => v.ToString()).Where(id => id.StartsWith(challengeId + "|")).ToArray();

    /// <summary>Timers set in every partition.</summary>
    private async Task<long> TimerCountAsync()
    {
        long count = 0;
        foreach (var partition in RedisPartitions.All)
            count += await Db.SortedSetLengthAsync(EscalationStore.TimersIn(partition));
        return count;
    }

    [Fact]
    public async Task Timers_missed_while_the_service_was_down_fire_late_once_each_after_it_starts()
    {
        var clock = new FakeTimeProvider(RaisedAt);
        var id = EscalationEvents.NewChallengeId();
        await using (var before = await EscalationTestHost.StartAsync(redis, clock))
        {
            await before.LoadDemoDirectoryAsync();
            await HandleAsync<ChallengeRaised, ChallengeRaisedHandler>(before, EscalationEvents.Raised(id, RaisedAt, lookedAfter: false));
        }
        Assert.Equal(4, (await TimersOfAsync(id)).Length);

        // Down for ten days: every stage 1 timer is past due when the service starts again.
        clock.Advance(TimeSpan.FromDays(10));
        using var listener = new System.Diagnostics.ActivityListener
        {
            ShouldListenTo = source => source.Name == Disputes.Escalation.Timers.TimerPoller.ActivitySourceName,
            Sample = (ref System.Diagnostics.ActivityCreationOptions<System.Diagnostics.ActivityContext> _) => System.Diagnostics.ActivitySamplingResult.AllData,
        };
        System.Diagnostics.ActivitySource.AddActivityListener(listener);
        await using var after = await EscalationTestHost.StartAsync(redis, clock);

        await Eventually.HoldsAsync(async () => (await TimersOfAsync(id)).Length == 0, "every due timer has fired");
        var missed = await EscalationTestHost.OutboxAsync<TimescaleMissed>(redis.Redis);
        Assert.Equal(["acknowledgement", "stage"], missed.Select(m => m.Event.Timescale).Order());
        Assert.All(missed, m => Assert.Equal(RaisedAt.AddDays(10), m.Event.OccurTime.ToDateTimeOffset()));
        Assert.All(missed, m => Assert.Equal(EscalationTimers.EventIdOf(m.Event.TimerId), m.Envelope.Id));
        // Each firing is a span of its own, and its event carries that trace.
        Assert.All(missed, m => Assert.False(string.IsNullOrEmpty(m.Envelope.TraceParent)));
        Assert.Equal(2, missed.Select(m => m.Envelope.TraceParent).Distinct().Count());
        var acknowledgement = missed.Single(m => m.Event.Timescale == "acknowledgement").Event;
        Assert.Equal(new DateTimeOffset(2026, 11, 25, 0, 0, 0, TimeSpan.Zero), acknowledgement.DueTime.ToDateTimeOffset());
        var alerted = Assert.Single(acknowledgement.NextTier);
        Assert.Equal(Responsibility.ReceivingLineManager, alerted.Responsibility);
        Assert.Equal("tm-2", alerted.Party.ProfessionalId);
        Assert.Equal(2, (await EscalationTestHost.OutboxAsync<TimescaleReminderDue>(redis.Redis)).Count);

        var escalation = await after.Client.GetEscalationAsync(new GetEscalationRequest { Name = $"challenges/{id}/escalation" }, after.Partnership);
        Assert.True(escalation.Overdue);
        Assert.Equal(2, escalation.Breaches.Count);
        Assert.Equal(2, escalation.RemindersSent.Count);
    }

    [Fact]
    public async Task A_stage_change_moves_the_timers_and_closing_cancels_them_so_nothing_fires_afterwards()
    {
        var clock = new FakeTimeProvider(RaisedAt);
        var id = EscalationEvents.NewChallengeId();
        await using var host = await EscalationTestHost.StartAsync(redis, clock);
        await HandleAsync<ChallengeRaised, ChallengeRaisedHandler>(host, EscalationEvents.Raised(id, RaisedAt));
        Assert.Contains($"{id}|stage|1|0|1", await TimersOfAsync(id));

        await HandleAsync<ChallengeEscalated, ChallengeEscalatedHandler>(host, EscalationEvents.Escalated(id, 2, Stage.LineManagers, 0, RaisedAt.AddHours(2)));

        var moved = await TimersOfAsync(id);
        Assert.DoesNotContain(moved, t => t.Contains("|acknowledgement") || t.Contains("|stage|1|"));
        Assert.Contains($"{id}|stage|2|0|2", moved);
        Assert.Contains(moved, t => t.Contains("|overall|"));

        await HandleAsync<ChallengeResolved, ChallengeResolvedHandler>(host, EscalationEvents.Resolved(id, 3, Stage.LineManagers, RaisedAt.AddHours(3)));
        Assert.Empty(await TimersOfAsync(id));

        clock.Advance(TimeSpan.FromDays(40));
        var poller = host.Services.GetServices<Microsoft.Extensions.Hosting.IHostedService>().OfType<Disputes.Escalation.Timers.TimerPoller>().Single();
        await poller.FireDueAsync(CancellationToken.None);
        Assert.Empty(await EscalationTestHost.OutboxAsync<TimescaleMissed>(redis.Redis));
        Assert.Empty(await EscalationTestHost.OutboxAsync<TimescaleReminderDue>(redis.Redis));

        var closed = await host.Client.GetEscalationAsync(new GetEscalationRequest { Name = $"challenges/{id}/escalation" }, host.Partnership);
        Assert.Equal(Stage.LineManagers, closed.Stage);
        Assert.NotNull(closed.CloseTime);
        Assert.Equal(["raised", "escalated", "resolved"], closed.History.Select(h => h.Change));
    }

    [Fact]
    public async Task Two_replicas_on_one_redis_fire_each_timer_once()
    {
        const int challenges = 40;
        var clock = new FakeTimeProvider(RaisedAt);
        await using var first = await EscalationTestHost.StartAsync(redis, clock);
        await using var second = await EscalationTestHost.StartAsync(redis, clock);
        var ids = Enumerable.Range(0, challenges).Select(_ => EscalationEvents.NewChallengeId()).ToArray();
        foreach (var (id, i) in ids.Select((id, i) => (id, i)))
            await HandleAsync<ChallengeRaised, ChallengeRaisedHandler>(i % 2 == 0 ? first : second, EscalationEvents.Raised(id, RaisedAt));
        // Stage 1 (4 timers) and the IRO total (2 timers) for each challenge.
        Assert.Equal(challenges * 6, await TimerCountAsync());

        clock.Advance(TimeSpan.FromDays(60));

        await Eventually.HoldsAsync(async () => await TimerCountAsync() == 0, "every timer has fired", TimeSpan.FromSeconds(60));
        var missed = await EscalationTestHost.OutboxAsync<TimescaleMissed>(redis.Redis);
        var reminders = await EscalationTestHost.OutboxAsync<TimescaleReminderDue>(redis.Redis);
        Assert.Equal(challenges * 3, missed.Count);
        Assert.Equal(challenges * 3, reminders.Count);
        Assert.Equal(missed.Count + reminders.Count, missed.Select(m => m.Event.TimerId).Concat(reminders.Select(r => r.Event.TimerId)).Distinct().Count());
        foreach (var id in ids)
        {
            var escalation = await first.Client.GetEscalationAsync(new GetEscalationRequest { Name = $"challenges/{id}/escalation" }, first.Partnership);
            Assert.Equal(3, escalation.Breaches.Count);
            Assert.Equal(3, escalation.RemindersSent.Count);
        }
    }

    [Fact]
    public async Task Overdue_and_due_soon_lists_follow_the_challenges_visibility()
    {
        var clock = new FakeTimeProvider(RaisedAt);
        await using var host = await EscalationTestHost.StartAsync(redis, clock);
        var ours = EscalationEvents.NewChallengeId();
        var theirs = EscalationEvents.NewChallengeId();
        await HandleAsync<ChallengeRaised, ChallengeRaisedHandler>(host, EscalationEvents.Raised(ours, RaisedAt, lookedAfter: false));
        await HandleAsync<ChallengeRaised, ChallengeRaisedHandler>(host, EscalationEvents.Raised(theirs, RaisedAt, lookedAfter: false,
            raisingAgency: "health", raisingProfessional: "hv-5", receivingAgency: "education", receivingProfessional: "dsl-8"));

        // Friday 27 November: both stage 1 timescales (due the start of Tuesday 1 December) are due within two working days.
        clock.Advance(TimeSpan.FromDays(4));
        var dueSoon = await host.Client.ListDueSoonEscalationsAsync(new ListDueSoonEscalationsRequest(), host.Partnership);
        Assert.Equal(2, dueSoon.Escalations.Count);
        var police = host.Bearer("pc-101", "police");
        Assert.Equal($"challenges/{ours}/escalation", Assert.Single((await host.Client.ListDueSoonEscalationsAsync(new ListDueSoonEscalationsRequest(), police)).Escalations).Name);

        clock.Advance(TimeSpan.FromDays(5));
        await Eventually.HoldsAsync(async () =>
            (await host.Client.ListOverdueEscalationsAsync(new ListOverdueEscalationsRequest(), host.Partnership)).Escalations.Count == 2, "both are overdue");

        var forPolice = await host.Client.ListOverdueEscalationsAsync(new ListOverdueEscalationsRequest(), police);
        Assert.Equal($"challenges/{ours}/escalation", Assert.Single(forPolice.Escalations).Name);
        var forHealth = await host.Client.ListOverdueEscalationsAsync(new ListOverdueEscalationsRequest { AgencyId = "health" }, host.Partnership);
        Assert.Equal($"challenges/{theirs}/escalation", Assert.Single(forHealth.Escalations).Name);
        var support = await host.Client.ListOverdueEscalationsAsync(new ListOverdueEscalationsRequest { PageSize = 1 }, host.Bearer("ops-1", "it", "support"));
        var supportEntry = Assert.Single(support.Escalations);
        Assert.All(supportEntry.ResponsibleParties, p => Assert.Equal("", p.Party.Role));
        Assert.NotEqual("", support.NextPageToken);
        var second = await host.Client.ListOverdueEscalationsAsync(new ListOverdueEscalationsRequest { PageSize = 1, PageToken = support.NextPageToken }, host.Bearer("ops-1", "it", "support"));
        Assert.NotEqual(supportEntry.Name, Assert.Single(second.Escalations).Name);

        var denied = await Assert.ThrowsAsync<Grpc.Core.RpcException>(() =>
            host.Client.ListOverdueEscalationsAsync(new ListOverdueEscalationsRequest { AgencyId = "health" }, police).ResponseAsync);
        Assert.Equal(Grpc.Core.StatusCode.PermissionDenied, denied.StatusCode);
    }
}
