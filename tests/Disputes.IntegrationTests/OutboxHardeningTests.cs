using Disputes.EventBus;
using Disputes.EventBus.Redis;
using Disputes.Outbox.Redis;
using Disputes.Procedure;
using Disputes.Redis;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using StackExchange.Redis;

namespace Disputes.IntegrationTests;

/// <summary>Issue 6, finding 5: one poison event no longer stalls an outbox, and an outbox that falls behind shows.</summary>
[Collection(RedisCollection.Name)]
public sealed class OutboxHardeningTests(RedisServerFixture redis) : IAsyncLifetime
{
    private const string Topic = "challenge-raised";

    public Task InitializeAsync() => redis.FlushAsync();

    public Task DisposeAsync() => Task.CompletedTask;

    private IDatabase Db => redis.Redis.GetDatabase();

    [Fact]
    public async Task One_poison_entry_never_holds_back_the_others_and_is_dead_lettered_after_its_attempts()
    {
        var poison = IntegrationEvents.DisputeIdOf(TestEvents.Raised(0))!;
        await using var challenge = await BusHost.StartAsync(redis, "challenge", withOutbox: true,
            settings: new Dictionary<string, string?> { ["EventBus:MaxPublishAttempts"] = "4", ["EventBus:RetryBackoff"] = "00:00:00.200" },
            configure: services => services.AddSingleton<IEventPublisher>(sp =>
                new SelectivePublisher(new RedisEventPublisher(sp.GetRequiredService<IConnectionMultiplexer>()), poison)));
        var envelopes = Enumerable.Range(0, 21).Select(i => challenge.Events.Create(TestEvents.Raised(i))).ToArray();
        await OutboxReads.AddEachAsync(Db, challenge.Outbox, envelopes);
        var partition = RedisOutbox.PartitionOf(envelopes[0]);
        var (stream, deadLetters, attempts) = (challenge.Outbox.StreamKeyIn(partition), challenge.Outbox.DeadLetterStreamKeyIn(partition), challenge.Outbox.AttemptsKeyIn(partition));

        await Eventually.HoldsAsync(async () => await Db.StreamLengthAsync(Topic) == 20, "the twenty others are published");
        Assert.Equal(1, await challenge.Outbox.LengthAsync(Db)); // the poison entry is still being retried
        Assert.Equal(1, await Db.StreamLengthAsync(stream));

        // Its attempts, its dead letter: all in its partition's slot, beside the stream.
        await Eventually.HoldsAsync(async () => await Db.StreamLengthAsync(deadLetters) == 1, "the poison entry is dead-lettered");
        Assert.Equal([HashSlot.Of(stream)], new[] { deadLetters, attempts }.Select(HashSlot.Of).Distinct());
        var deadLetter = Assert.Single(await Db.StreamRangeAsync(deadLetters));
        Assert.Equal(poison, EventEnvelope.TryParse(deadLetter[RedisOutbox.EnvelopeField].ToString())!.DisputeId);
        Assert.StartsWith("publish failed 4 times", deadLetter["deadletter-reason"].ToString());
        Assert.Equal(0, await challenge.Outbox.LengthAsync(Db));
        Assert.Equal(0, (await Db.StreamPendingAsync(stream, RedisOutbox.RelayGroup)).PendingMessageCount);
        Assert.False(await Db.KeyExistsAsync(attempts));
        // No other partition dead-lettered anything.
        foreach (var other in RedisPartitions.All.Where(p => p != partition))
            Assert.Equal(0, await Db.StreamLengthAsync(challenge.Outbox.DeadLetterStreamKeyIn(other)));
        // Each of the others was published once: nothing was re-published because of its neighbour.
        Assert.Equal(20, await Db.StreamLengthAsync(Topic));
    }

    [Fact]
    public async Task Outbox_age_shows_in_readiness_and_as_a_metric_and_recovers()
    {
        using var metrics = new MetricRecorder();
        await using var challenge = await BusHost.StartAsync(redis, "challenge", withOutbox: true,
            settings: new Dictionary<string, string?>
            {
                ["EventBus:MaxPublishAttempts"] = "1000",
                ["EventBus:OutboxAgeDegraded"] = "00:00:00.500",
                ["EventBus:OutboxAgeUnhealthy"] = "00:00:02",
            },
            configure: services => services.AddSingleton<IEventPublisher>(sp =>
                new SelectivePublisher(new RedisEventPublisher(sp.GetRequiredService<IConnectionMultiplexer>()), failingDisputeId: null)));
        var broker = (SelectivePublisher)challenge.Publisher;
        Assert.Equal(HealthStatus.Healthy, (await challenge.CheckHealthAsync()).Entries["outbox"].Status);

        broker.Down = true;
        var transaction = Db.CreateTransaction();
        challenge.Outbox.Add(transaction, challenge.Events.Create(TestEvents.Raised(1)));
        await transaction.ExecuteAsync();

        await Eventually.HoldsAsync(async () => (await challenge.CheckHealthAsync()).Entries["outbox"].Status == HealthStatus.Degraded, "readiness is degraded");
        await Eventually.HoldsAsync(async () => (await challenge.CheckHealthAsync()).Status == HealthStatus.Unhealthy, "readiness is unhealthy");
        await Eventually.HoldsAsync(() =>
        {
            metrics.Observe();
            return metrics.Measurements.Any(m => m.Name == "disputes.outbox.age" && m.Tags.GetValueOrDefault("disputes.outbox") == "challenge:outbox" && m.Value >= 1);
        }, "the age gauge reports the waiting entry");

        broker.Down = false;
        await Eventually.HoldsAsync(async () => (await challenge.CheckHealthAsync()).Status == HealthStatus.Healthy, "readiness recovers", TimeSpan.FromSeconds(20));
        Assert.Equal(1, await Db.StreamLengthAsync(Topic));
    }

    /// <summary>A transport that refuses one dispute's events (a poison event), or everything while down.</summary>
    private sealed class SelectivePublisher(IEventPublisher inner, string? failingDisputeId) : IEventPublisher
    {
        public volatile bool Down;

        public string System => inner.System;

        public Task PublishAsync(EventEnvelope envelope, CancellationToken cancellationToken) =>
            Down || envelope.DisputeId == failingDisputeId
                ? Task.FromException(new InvalidOperationException("the broker refuses this event"))
                : inner.PublishAsync(envelope, cancellationToken);
    }
}
