using System.Collections.Concurrent;
using Disputes.EventBus;
using Disputes.EventBus.Redis;
using Disputes.Procedure;
using Disputes.V1.Events;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Disputes.IntegrationTests;

/// <summary>Issue 6, findings 2, 3, 6 and 7: what one entry, one race or one slow handler may no longer do.</summary>
[Collection(RedisCollection.Name)]
public sealed class SubscriberHardeningTests(RedisServerFixture redis) : IAsyncLifetime
{
    private const string Topic = "challenge-raised";
    private const string DeadLetters = Topic + "-deadletter";

    public Task InitializeAsync() => redis.FlushAsync();

    public Task DisposeAsync() => Task.CompletedTask;

    private IDatabase Db => redis.Redis.GetDatabase();

    [Fact]
    public async Task An_entry_without_a_data_field_is_dead_lettered_with_what_it_has_and_the_consumer_goes_on()
    {
        await using var records = await BusHost.StartAsync(redis, "records");

        var poison = await Db.StreamAddAsync(Topic, "metadata", "{\"rawPayload\":\"true\"}");
        await records.Publisher.PublishAsync(records.Events.Create(TestEvents.Raised(2)), CancellationToken.None);

        await Eventually.HoldsAsync(() => records.Handler.Handled.Count == 1, "the event after the poison entry is handled");
        await Eventually.HoldsAsync(async () => await Db.StreamLengthAsync(DeadLetters) == 1, "the poison entry is dead-lettered");
        var deadLetter = Assert.Single(await Db.StreamRangeAsync(DeadLetters));
        Assert.Equal("{\"rawPayload\":\"true\"}", deadLetter["metadata"].ToString());
        Assert.Equal("no data field", deadLetter["deadletter-reason"].ToString());
        Assert.Equal(poison.ToString(), deadLetter["deadletter-entry-id"].ToString());
        await Eventually.HoldsAsync(async () => (await Db.StreamPendingAsync(Topic, "records")).PendingMessageCount == 0, "both are acknowledged");
        Assert.False(records.Stopping);
    }

    [Fact]
    public async Task A_non_Redis_exception_around_a_delivery_never_ends_the_consumer()
    {
        await using var records = await BusHost.StartAsync(redis, "records", processingTimeout: "00:00:01",
            configure: services => services.AddSingleton<IProcessedEvents>(sp =>
                new BrokenProcessedEvents(ActivatorUtilities.CreateInstance<RedisProcessedEvents>(sp), failures: 3)));

        for (var i = 1; i <= 3; i++)
            await records.Publisher.PublishAsync(records.Events.Create(TestEvents.Raised(i)), CancellationToken.None);

        await Eventually.HoldsAsync(() => records.Handler.Handled.Count == 3, "all three are handled once the store answers", TimeSpan.FromSeconds(20));
        Assert.Equal(3, records.Handler.Handled.Select(h => h.Context.EventId).Distinct().Count());
        Assert.False(records.Stopping);
        await Eventually.HoldsAsync(async () => (await Db.StreamPendingAsync(Topic, "records")).PendingMessageCount == 0, "all are acknowledged");
    }

    [Fact]
    public async Task Parties_are_written_once_an_equal_repeat_is_accepted_and_a_contradiction_is_refused()
    {
        var store = new DisputePartiesStore(redis.Redis, "records:");
        var first = new DisputeParties("police", "childrens-social-care");

        await store.SaveAsync("c-1", first);
        await store.SaveAsync("c-1", new DisputeParties("police", "childrens-social-care"));
        var refused = await Assert.ThrowsAsync<DisputePartiesConflictException>(() => store.SaveAsync("c-1", new DisputeParties("police", "health")));

        Assert.IsAssignableFrom<UnprocessableEventException>(refused);
        Assert.Equal(first, await store.GetAsync("c-1"));
    }

    [Fact]
    public async Task Parties_raced_by_two_writers_are_decided_by_exactly_one()
    {
        var store = new DisputePartiesStore(redis.Redis, "records:");
        var offers = Enumerable.Range(0, 40).Select(i => new DisputeParties("police", $"agency-{i % 2}")).ToArray();

        var outcomes = await Task.WhenAll(offers.Select(offer => store.TrySaveAsync("c-race", offer)));

        var stored = await store.GetAsync("c-race");
        Assert.NotNull(stored);
        Assert.Single(outcomes, o => o.Result == PartiesSaveResult.Written);
        Assert.All(outcomes.Zip(offers), pair => Assert.Equal(
            pair.Second.ReceivingAgencyId == stored.ReceivingAgencyId ? PartiesSaveResult.Written : PartiesSaveResult.Conflict,
            pair.First.Result == PartiesSaveResult.AlreadyStored ? PartiesSaveResult.Written : pair.First.Result));
    }

    [Fact]
    public async Task A_raise_naming_other_parties_for_a_known_challenge_is_dead_lettered_at_once_and_alerted()
    {
        using var metrics = new MetricRecorder();
        await using var notification = await BusHost.StartAsync(redis, "notification", subscribesItself: true, configure: services =>
        {
            services.AddSingleton(sp => new DisputePartiesStore(sp.GetRequiredService<IConnectionMultiplexer>(), "notification:"));
            services.AddEventHandler<ChallengeRaised, PartiesHandler>();
            services.AddSingleton<PartiesHandler>();
        });
        var handler = notification.Services.GetRequiredService<PartiesHandler>();
        var raised = TestEvents.Raised(7);
        var hijack = TestEvents.Raised(7);
        hijack.ReceivingParty.AgencyId = "another-agency";

        await notification.Publisher.PublishAsync(notification.Events.Create(raised), CancellationToken.None);
        await notification.Publisher.PublishAsync(notification.Events.Create(raised), CancellationToken.None);
        var refused = notification.Events.Create(hijack);
        await notification.Publisher.PublishAsync(refused, CancellationToken.None);

        await Eventually.HoldsAsync(async () => await Db.StreamLengthAsync(DeadLetters) == 1, "the contradicting raise is dead-lettered");
        await Eventually.HoldsAsync(async () => (await Db.StreamPendingAsync(Topic, "notification")).PendingMessageCount == 0, "all are acknowledged");
        Assert.Equal(EventEnvelope.TryParse((await Db.StreamRangeAsync(DeadLetters))[0]["data"].ToString())!.Id, refused.Id);
        Assert.Equal(1, handler.AttemptsOf(refused.Id));
        Assert.Equal(new DisputeParties("police", "childrens-social-care"),
            await notification.Services.GetRequiredService<DisputePartiesStore>().GetAsync(IntegrationEvents.DisputeIdOf(raised)!));
        Assert.Equal(1, metrics.Sum("disputes.events.refused", "error.type", "dispute_parties_conflict"));
    }

    [Fact]
    public async Task A_late_consumer_group_still_finds_what_was_published_before_it_existed()
    {
        await using var records = await BusHost.StartAsync(redis, "records", processingTimeout: "00:00:00.200");
        for (var i = 1; i <= 5; i++)
            await records.Publisher.PublishAsync(records.Events.Create(TestEvents.Raised(i)), CancellationToken.None);
        await Eventually.HoldsAsync(() => records.Handler.Handled.Count == 5, "records handled all five");
        await Task.Delay(600); // several reclaim rounds, where trimming by groups used to run

        await using var escalation = await BusHost.StartAsync(redis, "escalation");

        await Eventually.HoldsAsync(() => escalation.Handler.Handled.Count == 5, "the app deployed later handled all five");
    }

    [Fact]
    public async Task Topics_are_trimmed_by_length_at_publish()
    {
        await using var publisher = await BusHost.StartAsync(redis, "challenge", settings: new Dictionary<string, string?> { ["EventBus:MaxStreamLength"] = "100" });

        for (var i = 0; i < 1_000; i++)
            await publisher.Publisher.PublishAsync(publisher.Events.Create(TestEvents.Raised(i)), CancellationToken.None);

        var length = await Db.StreamLengthAsync(Topic);
        Assert.InRange(length, 100, 999);
    }

    [Fact]
    public async Task An_app_is_ready_only_once_its_consumer_groups_exist()
    {
        await using var records = await BusHost.StartAsync(redis.ConnectionString, "records", start: false);

        var before = await records.CheckHealthAsync();
        Assert.Equal(HealthStatus.Unhealthy, before.Entries["consumer-groups"].Status);
        Assert.False(await Db.KeyExistsAsync(Topic));

        await records.StartAsync();

        await Eventually.HoldsAsync(async () => (await records.CheckHealthAsync()).Status == HealthStatus.Healthy, "the app reports ready");
        Assert.Contains("records", (await Db.StreamGroupInfoAsync(Topic)).Select(g => g.Name.ToString()));
    }

    [Fact]
    public async Task An_entry_waiting_in_a_slow_lane_is_never_handled_by_two_replicas_at_once()
    {
        var handler = new OverlapHandler(slowFor: TimeSpan.FromSeconds(3));
        void Configure(IServiceCollection services)
        {
            services.AddEventHandler<ChallengeRaised, OverlapHandler>();
            services.AddSingleton(handler);
        }
        await using var first = await BusHost.StartAsync(redis, "records", Configure, processingTimeout: "00:00:01", subscribesItself: true);
        await using var second = await BusHost.StartAsync(redis, "records", Configure, processingTimeout: "00:00:01", subscribesItself: true);

        // One dispute, so one lane: the first event is slow, the others wait behind it.
        var events = Enumerable.Range(0, 4).Select(_ => first.Events.Create(TestEvents.Raised(1))).ToArray();
        handler.SlowEventId = events[0].Id;
        foreach (var envelope in events)
            await first.Publisher.PublishAsync(envelope, CancellationToken.None);

        await Eventually.HoldsAsync(() => events.All(e => handler.Completed.ContainsKey(e.Id)), "every event is handled", TimeSpan.FromSeconds(20));
        await Task.Delay(1_500); // no late second handling either
        Assert.Equal(0, handler.Overlaps);
        Assert.All(events, e => Assert.Equal(1, handler.Completed[e.Id]));
    }

    [Fact]
    public async Task Applied_versions_only_advance_and_each_version_is_taken_once()
    {
        var versions = new RedisAppliedVersions(redis.Redis, Options.Create(new EventBusOptions { AppId = "records" }));

        var takers = await Task.WhenAll(Enumerable.Range(0, 50).Select(_ => versions.TryAdvanceAsync("c-1", 3)));

        Assert.Single(takers, taken => taken);
        Assert.False(await versions.TryAdvanceAsync("c-1", 2));
        Assert.Equal(3, await versions.GetAsync("c-1"));
        Assert.True(await versions.TryAdvanceAsync("c-1", 4));
        Assert.Equal(0, await versions.GetAsync("c-2"));
    }

    /// <summary>A de-duplication store that throws something other than a Redis error for its first calls.</summary>
    private sealed class BrokenProcessedEvents(IProcessedEvents inner, int failures) : IProcessedEvents
    {
        private int _calls;

        public Task<bool> WasProcessedAsync(string eventId, string? disputeId) =>
            Interlocked.Increment(ref _calls) <= failures
                ? throw new InvalidOperationException("a bug outside the handler")
                : inner.WasProcessedAsync(eventId, disputeId);

        public Task MarkProcessedAsync(string eventId, string? disputeId) => inner.MarkProcessedAsync(eventId, disputeId);
    }

    /// <summary>Keeps the parties of each raised challenge, as notification and records do.</summary>
    public sealed class PartiesHandler(DisputePartiesStore parties) : IIntegrationEventHandler<ChallengeRaised>
    {
        private readonly ConcurrentDictionary<string, int> _attempts = new();

        public int AttemptsOf(string eventId) => _attempts.GetValueOrDefault(eventId);

        public Task HandleAsync(ChallengeRaised @event, EventContext context, CancellationToken cancellationToken)
        {
            _attempts.AddOrUpdate(context.EventId, 1, (_, n) => n + 1);
            return parties.SaveAsync(IntegrationEvents.DisputeIdOf(@event)!,
                new DisputeParties(@event.RaisingParty.AgencyId, @event.ReceivingParty.AgencyId));
        }
    }

    /// <summary>Counts handlings of one event running at the same time; the first attempt of one event is slow.</summary>
    public sealed class OverlapHandler(TimeSpan slowFor) : IIntegrationEventHandler<ChallengeRaised>
    {
        private readonly ConcurrentDictionary<string, int> _running = new();
        private int _overlaps;
        private int _slowStarted;

        public string? SlowEventId { get; set; }

        public ConcurrentDictionary<string, int> Completed { get; } = new();

        public int Overlaps => Volatile.Read(ref _overlaps);

        public async Task HandleAsync(ChallengeRaised @event, EventContext context, CancellationToken cancellationToken)
        {
            if (_running.AddOrUpdate(context.EventId, 1, (_, n) => n + 1) > 1)
                Interlocked.Increment(ref _overlaps);
            try
            {
                if (context.EventId == SlowEventId && Interlocked.Exchange(ref _slowStarted, 1) == 0)
                    await Task.Delay(slowFor, cancellationToken);
                Completed.AddOrUpdate(context.EventId, 1, (_, n) => n + 1);
            }
            finally
            {
                _running.AddOrUpdate(context.EventId, 0, (_, n) => n - 1);
            }
        }
    }
}
