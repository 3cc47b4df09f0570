using System.Collections.Concurrent;
using System.Diagnostics;
using Disputes.Procedure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using StackExchange.Redis;
using Xunit.Abstractions;

namespace Disputes.IntegrationTests.Faults;

/// <summary>
/// Redis itself fails under the bus: killed (SIGKILL) and restarted from its append-only file, or
/// paused (SIGSTOP) and resumed. Writes go as a service's do: the change and its event in one
/// transaction with the outbox; the relay and the subscriber run in the same host.
/// </summary>
[Trait(RedisTopology.Trait, RedisTopology.SingleServerOnly)]
[Collection(RedisCollection.Name)]
public sealed class RedisFaultTests(ITestOutputHelper output)
{
    // A read that Redis served as it died leaves its entries pending for the group with the reply lost;
    // the subscriber claims them back once idle this long, checking every half of it. Short here, so
    // the wait below (30 s) covers a claim: with the 30 s of the other tests it ran to 45 s.
    private const string ProcessingTimeout = "00:00:06";

    [Theory]
    [InlineData("always")]
    [InlineData("everysec")]
    public async Task Redis_killed_and_restarted_loses_no_write_that_returned_OK(string appendFsync)
    {
        await using var redis = await RedisProcess.StartAsync(appendFsync);
        await using var app = await BusHost.StartAsync(redis.ConnectionString, "records", processingTimeout: ProcessingTimeout, withOutbox: true);
        await using var writer = new Writer(redis.ConnectionString, app);

        var writing = writer.RunAsync();
        await Task.Delay(1_500);
        var beforeKill = writer.Acknowledged.Count;
        var killedAt = DateTimeOffset.UtcNow;
        await redis.CrashAndRestartAsync(down: TimeSpan.FromMilliseconds(500));
        await Task.Delay(1_500);
        await writer.StopAsync(writing);

        var acknowledged = writer.Acknowledged.ToArray();
        var db = (await ConnectionMultiplexer.ConnectAsync(redis.ConnectionString)).GetDatabase();
        var lost = new List<(string ChallengeId, string EventId, DateTimeOffset At)>();
        foreach (var write in acknowledged)
        {
            if (!await db.KeyExistsAsync($"records:state:{write.ChallengeId}"))
                lost.Add(write);
        }
        Assert.True(beforeKill > 0 && acknowledged.Length > beforeKill, "writes succeeded before and after the crash");
        if (appendFsync == "always")
            Assert.Empty(lost);
        else // everysec: at most what was acknowledged in the last two seconds before the kill (a postponed write).
            Assert.All(lost, write => Assert.True(write.At > killedAt - TimeSpan.FromSeconds(2)));

        // Every acknowledged change that survived has its event reach the consumer, once.
        var expected = acknowledged.Except(lost).Select(a => a.ChallengeId).ToHashSet();
        await Eventually.HoldsAsync(() => expected.IsSubsetOf(app.Handler.Handled.Select(h => IntegrationEvents.DisputeIdOf(h.Event)!)),
            "every acknowledged event is handled", TimeSpan.FromSeconds(30));
        var handledIds = app.Handler.Handled.Select(h => h.Context.EventId).ToArray();
        Assert.Equal(handledIds.Length, handledIds.Distinct().Count());
        Assert.False(app.Stopping);
        output.WriteLine($"redis SIGKILL, appendfsync {appendFsync}: {acknowledged.Length} writes returned OK ({beforeKill} before the kill), " +
            $"{writer.Failed} failed while Redis was down (not acknowledged), {lost.Count} lost, {handledIds.Length} handled, " +
            $"{handledIds.Length - handledIds.Distinct().Count()} duplicated");
    }

    [Fact]
    public async Task Redis_paused_makes_the_app_not_ready_then_it_recovers_unaided_and_loses_nothing()
    {
        var pause = FaultSettings.RedisPause;
        await using var redis = await RedisProcess.StartAsync("always");
        await using var app = await BusHost.StartAsync(redis.ConnectionString, "records", processingTimeout: ProcessingTimeout, withOutbox: true);
        await using var writer = new Writer(redis.ConnectionString, app);
        await Eventually.HoldsAsync(async () => (await app.CheckHealthAsync()).Status == HealthStatus.Healthy, "the app is ready");

        var writing = writer.RunAsync();
        await Task.Delay(1_000);
        redis.Server.Pause();
        var paused = Stopwatch.StartNew();
        HealthStatus? whilePaused = null;
        var notReadyAfter = TimeSpan.Zero;
        while (paused.Elapsed < pause)
        {
            var report = await app.CheckHealthAsync();
            if (report.Status == HealthStatus.Unhealthy && whilePaused is null)
                notReadyAfter = paused.Elapsed;
            whilePaused = report.Status == HealthStatus.Unhealthy ? HealthStatus.Unhealthy : whilePaused;
            await Task.Delay(250);
        }
        redis.Server.Resume();
        var resumed = Stopwatch.StartNew();
        await Eventually.HoldsAsync(async () => (await app.CheckHealthAsync()).Status == HealthStatus.Healthy, "the app is ready again", TimeSpan.FromSeconds(30));
        var readyAfter = resumed.Elapsed;
        await Task.Delay(1_000);
        await writer.StopAsync(writing);

        Assert.Equal(HealthStatus.Unhealthy, whilePaused);
        var expected = writer.Acknowledged.Select(a => a.ChallengeId).ToHashSet();
        await Eventually.HoldsAsync(() => expected.IsSubsetOf(app.Handler.Handled.Select(h => IntegrationEvents.DisputeIdOf(h.Event)!)),
            "every acknowledged event is handled", TimeSpan.FromSeconds(30));
        var handledIds = app.Handler.Handled.Select(h => h.Context.EventId).ToArray();
        Assert.Equal(handledIds.Length, handledIds.Distinct().Count());
        Assert.False(app.Stopping);
        output.WriteLine($"redis SIGSTOP {pause.TotalSeconds:0} s: not ready after {notReadyAfter.TotalSeconds:0.0} s, ready again " +
            $"{readyAfter.TotalSeconds:0.0} s after SIGCONT; {expected.Count} writes returned OK, {writer.Failed} failed (not acknowledged), " +
            $"0 lost, {handledIds.Length} handled, 0 duplicated");
    }

    /// <summary>Writes a change and its event together, as a raise does, as fast as Redis answers; keeps what returned OK.</summary>
    private sealed class Writer(string connectionString, BusHost app) : IAsyncDisposable
    {
        private readonly CancellationTokenSource _stop = new();
        private readonly ConnectionMultiplexer _redis = ConnectionMultiplexer.Connect(connectionString);
        private int _failed;

        public ConcurrentQueue<(string ChallengeId, string EventId, DateTimeOffset At)> Acknowledged { get; } = new();

        public int Failed => Volatile.Read(ref _failed);

        public Task RunAsync() => Task.Run(async () =>
        {
            for (var n = 1; !_stop.IsCancellationRequested && n < 1_000_000; n++)
            {
                var envelope = app.Events.Create(TestEvents.Raised(n));
                var challengeId = envelope.DisputeId!;
                try
                {
                    var transaction = _redis.GetDatabase().CreateTransaction();
                    _ = transaction.StringSetAsync($"records:state:{challengeId}", envelope.Id);
                    app.Outbox.Add(transaction, envelope);
                    if (await transaction.ExecuteAsync())
                        Acknowledged.Enqueue((challengeId, envelope.Id, DateTimeOffset.UtcNow));
                }
                catch (Exception ex) when (ex is RedisException or TimeoutException)
                {
                    // Not acknowledged: the caller would retry; it may or may not have been written.
                    Interlocked.Increment(ref _failed);
                    await Task.Delay(50);
                }
                await Task.Delay(2);
            }
        });

        public async Task StopAsync(Task running)
        {
            await _stop.CancelAsync();
            await running;
        }

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            await _redis.DisposeAsync();
            _stop.Dispose();
        }
    }
}
