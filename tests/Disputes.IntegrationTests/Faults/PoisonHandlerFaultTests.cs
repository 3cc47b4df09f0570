using System.Collections.Concurrent;
using System.Diagnostics;
using Disputes.EventBus;
using Disputes.V1.Events;
using Microsoft.Extensions.DependencyInjection;
using StackExchange.Redis;
using Xunit.Abstractions;

namespace Disputes.IntegrationTests.Faults;

/// <summary>
/// Dapr's conformance pattern on the Redis Streams bus: a handler that fails the first two
/// attempts of every event and every attempt of every fifth event.
/// </summary>
[Collection(RedisCollection.Name)]
public sealed class PoisonHandlerFaultTests(RedisServerFixture redis, ITestOutputHelper output) : IAsyncLifetime
{
    private const string Topic = "challenge-raised";

    public Task InitializeAsync() => redis.FlushAsync();

    public Task DisposeAsync() => Task.CompletedTask;

    [Fact]
    public async Task Every_event_is_handled_once_in_effect_and_only_the_poison_ones_are_dead_lettered()
    {
        var events = FaultSettings.PoisonHandlerEvents;
        var handler = new FlakyHandler();
        await using var records = await BusHost.StartAsync(redis, "records", subscribesItself: true,
            settings: new Dictionary<string, string?>
            {
                ["EventBus:MaxDeliveryAttempts"] = "3",
                ["EventBus:RetryBackoff"] = "00:00:00.001",
                ["EventBus:MaxRetryBackoff"] = "00:00:00.004",
                ["EventBus:OutboxSweepInterval"] = "00:00:00.200",
            },
            configure: services =>
            {
                services.AddEventHandler<ChallengeRaised, FlakyHandler>();
                services.AddSingleton(handler);
            });
        var clock = Stopwatch.StartNew();

        var published = new string[events];
        for (var from = 0; from < events; from += 500)
        {
            var batch = Enumerable.Range(from, Math.Min(500, events - from)).Select(async n =>
            {
                var envelope = records.Events.Create(TestEvents.Raised(n));
                published[n] = envelope.Id;
                await records.Publisher.PublishAsync(envelope, CancellationToken.None);
            });
            await Task.WhenAll(batch);
        }
        var poison = published.Where((_, n) => FlakyHandler.IsPoison(n)).ToHashSet();
        var good = published.Where((_, n) => !FlakyHandler.IsPoison(n)).ToArray();

        var db = redis.Redis.GetDatabase();
        await Eventually.HoldsAsync(async () => handler.Applied.Count == good.Length && await db.StreamLengthAsync(Topic + "-deadletter") == poison.Count,
            $"{good.Length} events are applied and {poison.Count} dead-lettered", FaultSettings.Budget(events));
        await Eventually.HoldsAsync(async () => (await db.StreamPendingAsync(Topic, "records")).PendingMessageCount == 0, "everything is acknowledged");
        clock.Stop();

        Assert.All(good, id => Assert.Equal(1, handler.Applied.GetValueOrDefault(id)));
        var deadLettered = (await db.StreamRangeAsync(Topic + "-deadletter")).Select(e => EventEnvelope.TryParse(e["data"].ToString())!.Id).ToHashSet();
        Assert.Equal(poison.Order(), deadLettered.Order());
        Assert.DoesNotContain(handler.Applied.Keys, poison.Contains);
        Assert.False(records.Stopping);
        output.WriteLine($"poison-handler run: {events} events, {handler.Attempts} handler attempts, {handler.Failures} injected failures, " +
            $"{good.Length} applied once, {poison.Count} dead-lettered, 0 lost, 0 duplicated, {clock.Elapsed.TotalSeconds:0.0} s");
    }

    /// <summary>Fails the first two attempts of every event, and every attempt of every fifth event.</summary>
    public sealed class FlakyHandler : IIntegrationEventHandler<ChallengeRaised>
    {
        private readonly ConcurrentDictionary<string, int> _attempts = new();
        private int _total;
        private int _failures;

        public ConcurrentDictionary<string, int> Applied { get; } = new();

        public int Attempts => Volatile.Read(ref _total);

        public int Failures => Volatile.Read(ref _failures);

        public static bool IsPoison(int n) => n % 5 == 4;

        public Task HandleAsync(ChallengeRaised @event, EventContext context, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref _total);
            var attempt = _attempts.AddOrUpdate(context.EventId, 1, (_, n) => n + 1);
            var n = int.Parse(@event.Challenge["challenges/01JD".Length..], System.Globalization.CultureInfo.InvariantCulture);
            if (attempt <= 2 || IsPoison(n))
            {
                Interlocked.Increment(ref _failures);
                throw new InvalidOperationException(attempt <= 2 ? "a transient failure" : "a poison event");
            }
            Applied.AddOrUpdate(context.EventId, 1, (_, count) => count + 1);
            return Task.CompletedTask;
        }
    }
}
