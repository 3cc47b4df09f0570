using Disputes.EventBus;
using Disputes.EventBus.Redis;
using Disputes.Redis;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using StackExchange.Redis;

namespace Disputes.IntegrationTests;

/// <summary>The bus's metrics against a real redis-server: consumer lag, pending, oldest pending age, dead letters, handler duration.</summary>
[Collection(RedisCollection.Name)]
public sealed class BusMetricsTests(RedisServerFixture redis) : IAsyncLifetime
{
    private const string Topic = "challenge-raised";
    private const string DeadLetters = Topic + "-deadletter";

    public Task InitializeAsync() => redis.FlushAsync();

    public Task DisposeAsync() => Task.CompletedTask;

    private IDatabase Db => redis.Redis.GetDatabase();

    private static readonly Dictionary<string, string?> FastSampling = new() { ["EventBus:MetricsSampleInterval"] = "00:00:00.050" };

    private static ConsumerLagSampler SamplerOf(BusHost host, TimeProvider clock) => new(
        host.Services.GetRequiredService<IConnectionMultiplexer>(), host.Services.GetRequiredService<EventSubscriptions>(),
        host.Services.GetRequiredService<IOptions<EventBusOptions>>(), clock, NullLogger<ConsumerLagSampler>.Instance);

    private static (string, string)[] Of(string app) => [("messaging.destination.name", Topic), ("messaging.consumer.group.name", app)];

    [Fact]
    public async Task Lag_grows_with_unconsumed_events_pending_counts_a_delivered_unacknowledged_entry_and_both_return_to_zero()
    {
        const string app = "lag-app";
        using var metrics = new MetricRecorder();
        await using var host = await BusHost.StartAsync(redis.ConnectionString, app, start: false);
        // A clock a minute ahead of Redis's: the oldest pending entry is a minute old.
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow.AddMinutes(1));
        var sampler = SamplerOf(host, clock);
        await Db.CreateIfMissingAsync(Topic, app);
        for (var i = 1; i <= 5; i++)
            await host.Publisher.PublishAsync(host.Events.Create(TestEvents.Raised(i)), CancellationToken.None);

        await sampler.SampleAsync();
        metrics.Observe();
        Assert.Equal(5, metrics.Last("disputes.consumer.lag", Of(app)));
        Assert.Equal(0, metrics.Last("disputes.consumer.pending", Of(app)));
        Assert.Equal(0, metrics.Last("disputes.consumer.oldest_pending.age", Of(app)));
        Assert.Equal(0, metrics.Last("disputes.deadletter.count", Of(app)));

        // A consumer takes two and dies before acknowledging them.
        var taken = await Db.StreamReadGroupAsync(Topic, app, "crashed", ">", 2);
        Assert.Equal(2, taken.Length);
        await sampler.SampleAsync();
        metrics.Observe();
        Assert.Equal(3, metrics.Last("disputes.consumer.lag", Of(app)));
        Assert.Equal(2, metrics.Last("disputes.consumer.pending", Of(app)));
        Assert.InRange(metrics.Last("disputes.consumer.oldest_pending.age", Of(app))!.Value, 55, 120);

        await Db.StreamAcknowledgeAsync(Topic, app, taken.Select(e => e.Id).ToArray());
        await host.StartAsync();
        await Eventually.HoldsAsync(async () =>
        {
            await sampler.SampleAsync();
            metrics.Observe();
            return metrics.Last("disputes.consumer.lag", Of(app)) == 0 && metrics.Last("disputes.consumer.pending", Of(app)) == 0;
        }, "the subscriber has consumed the rest");
        Assert.Equal(3, host.Handler.Handled.Count);
        Assert.Equal(0, metrics.Last("disputes.consumer.oldest_pending.age", Of(app)));
    }

    [Fact]
    public async Task The_background_sampler_counts_dead_letters_and_a_topic_not_yet_created_reads_as_zero()
    {
        const string app = "deadletter-app";
        using var metrics = new MetricRecorder();
        await using var host = await BusHost.StartAsync(redis, app, settings: FastSampling);
        await Eventually.HoldsAsync(() =>
        {
            metrics.Observe();
            return metrics.Last("disputes.consumer.lag", Of(app)) == 0 && metrics.Last("disputes.deadletter.count", Of(app)) == 0;
        }, "the sampler reports the empty topic");

        await Db.StreamAddAsync(DeadLetters, [new NameValueEntry("data", "{}"), new NameValueEntry("deadletter-reason", "not a CloudEvent")]);
        await Db.StreamAddAsync(DeadLetters, [new NameValueEntry("data", "{}"), new NameValueEntry("deadletter-reason", "not a CloudEvent")]);
        await Eventually.HoldsAsync(() =>
        {
            metrics.Observe();
            return metrics.Last("disputes.deadletter.count", Of(app)) == 2;
        }, "the sampler counts both dead letters");
    }

    [Fact]
    public async Task The_sampler_outlives_an_unreachable_redis()
    {
        using var closed = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        closed.Start();
        var port = ((System.Net.IPEndPoint)closed.LocalEndpoint).Port;
        closed.Stop();
        await using var host = await BusHost.StartAsync($"127.0.0.1:{port},connectTimeout=200,asyncTimeout=300", "unreachable-app", settings: FastSampling);
        var sampler = SamplerOf(host, TimeProvider.System);

        var failure = await Assert.ThrowsAnyAsync<Exception>(sampler.SampleAsync);
        Assert.True(failure is RedisException or TimeoutException, failure.ToString());
        // Several rounds of the background loop fail meanwhile; none stops the host.
        await Task.Delay(TimeSpan.FromMilliseconds(500));
        Assert.False(host.Stopping);
    }

    [Fact]
    public async Task Handler_duration_is_recorded_per_topic_and_app_and_a_failure_counts_with_its_error_type()
    {
        const string app = "duration-app";
        using var metrics = new MetricRecorder();
        await using var host = await BusHost.StartAsync(redis, app, failuresBeforeSuccess: 1);
        await host.Publisher.PublishAsync(host.Events.Create(TestEvents.Raised(1)), CancellationToken.None);

        await Eventually.HoldsAsync(() => host.Handler.Handled.Count == 1, "the event is handled after one failure");
        await Eventually.HoldsAsync(() => metrics.Measurements.Count(m => m.Name == "messaging.process.duration" && m.Tags.GetValueOrDefault("messaging.consumer.group.name") == app) == 2,
            "both attempts are timed");
        var durations = metrics.Measurements.Where(m => m.Name == "messaging.process.duration" && m.Tags.GetValueOrDefault("messaging.consumer.group.name") == app).ToArray();
        Assert.All(durations, d => Assert.Equal(Topic, d.Tags["messaging.destination.name"]));
        Assert.All(durations, d => Assert.True(d.Value >= 0));
        Assert.Single(durations, d => d.Tags.GetValueOrDefault("error.type") == typeof(InvalidOperationException).FullName);
        Assert.Single(durations, d => !d.Tags.ContainsKey("error.type"));
        Assert.Equal(1, metrics.Sum("disputes.events.handler_failures", "messaging.consumer.group.name", app));
    }
}
