using System.Diagnostics;
using Disputes.EventBus;
using Disputes.EventBus.Redis;
using Disputes.Procedure;
using Microsoft.Extensions.Options;
using StackExchange.Redis;
using Xunit.Abstractions;

namespace Disputes.IntegrationTests.Faults;

/// <summary>
/// Consumer processes killed with SIGKILL mid-batch, again and again, while they work through
/// the topic: nothing is lost (a killed consumer's pending entries are reclaimed) and nothing is
/// applied twice (the application and its guard are one script, see the fault consumer).
/// </summary>
[Collection(RedisCollection.Name)]
public sealed class ConsumerKillFaultTests(RedisServerFixture redis, ITestOutputHelper output) : IAsyncLifetime
{
    private const string App = "fault-consumer";
    private const string Topic = "challenge-raised";

    public Task InitializeAsync() => redis.FlushAsync();

    public Task DisposeAsync() => Task.CompletedTask;

    [Fact]
    public async Task Consumers_killed_mid_batch_lose_nothing_and_apply_nothing_twice()
    {
        var events = FaultSettings.KillEvents;
        var db = redis.Redis.GetDatabase();
        var factory = new IntegrationEventFactory(Options.Create(new EventBusOptions { AppId = "challenge" }), TimeProvider.System, IntegrationEvents.Catalog);
        var publisher = new RedisEventPublisher(redis.Redis);
        var published = new string[events];
        await Task.WhenAll(Enumerable.Range(0, events).Select(n =>
        {
            var envelope = factory.Create(TestEvents.Raised(n));
            published[n] = envelope.Id;
            return publisher.PublishAsync(envelope, CancellationToken.None);
        }));

        var consumers = new ChildProcess?[2];
        var clock = Stopwatch.StartNew();
        var budget = FaultSettings.Budget(events);
        var kills = 0;
        var killsWithPending = 0;
        try
        {
            for (var i = 0; i < consumers.Length; i++)
                consumers[i] = StartConsumer();
            await Eventually.HoldsAsync(async () => (await db.StreamGroupInfoAsync(Topic)).Any(g => g.Name == App),
                "the consumers created their group", TimeSpan.FromSeconds(30));
            var random = new Random(6);
            var runsAtLastKill = 0L;
            while (await db.HashLengthAsync($"{App}:{{counts}}:applied") < events && clock.Elapsed < budget - TimeSpan.FromSeconds(20))
            {
                // Kill while the consumers are working: after a random number of handler runs since the last kill.
                var next = runsAtLastKill + random.Next(300, 900);
                while ((long)await db.StringGetAsync($"{App}:{{counts}}:runs") < next && await db.HashLengthAsync($"{App}:{{counts}}:applied") < events
                       && clock.Elapsed < budget - TimeSpan.FromSeconds(20))
                    await Task.Delay(20);
                if (await db.HashLengthAsync($"{App}:{{counts}}:applied") >= events)
                    break;
                runsAtLastKill = (long)await db.StringGetAsync($"{App}:{{counts}}:runs");
                var victim = kills % consumers.Length;
                // Mid-batch: the group has entries read and not yet acknowledged.
                if ((await db.StreamPendingAsync(Topic, App)).PendingMessageCount > 0)
                    killsWithPending++;
                consumers[victim]!.KillHard();
                consumers[victim]!.Dispose();
                kills++;
                consumers[victim] = StartConsumer();
            }

            await Eventually.HoldsAsync(async () => await db.HashLengthAsync($"{App}:{{counts}}:applied") == events,
                $"all {events} events are applied", budget - clock.Elapsed);
            await Eventually.HoldsAsync(async () => (await db.StreamPendingAsync(Topic, App)).PendingMessageCount == 0,
                "every entry is acknowledged", TimeSpan.FromSeconds(20));
        }
        finally
        {
            var lastOutput = consumers.FirstOrDefault()?.Output;
            foreach (var consumer in consumers)
                consumer?.Dispose();
            output.WriteLine(lastOutput ?? "");
        }

        var applied = (await db.HashGetAllAsync($"{App}:{{counts}}:applied")).ToDictionary(e => e.Name.ToString(), e => (long)e.Value);
        Assert.All(published, id => Assert.Equal(1, applied.GetValueOrDefault(id)));
        Assert.Equal(events, applied.Count);
        var runs = (long)await db.StringGetAsync($"{App}:{{counts}}:runs");
        var suppressed = (await db.HashValuesAsync($"{App}:{{counts}}:suppressed")).Sum(v => (long)v);
        Assert.True(kills >= 3, $"only {kills} kills happened; the run was too short to mean anything");
        output.WriteLine($"consumer-kill run: {events} events, {kills} SIGKILLs ({killsWithPending} with entries in flight), " +
            $"{runs} handler runs, {suppressed} repeats stopped by the guard, 0 lost, 0 applied twice, {clock.Elapsed.TotalSeconds:0.0} s");
    }

    private ChildProcess StartConsumer() =>
        ChildProcess.Start("dotnet", [ChildProcess.BuildOutputOf("tests/Disputes.FaultConsumer", "Disputes.FaultConsumer")], new Dictionary<string, string>
        {
            ["DOTNET_ENVIRONMENT"] = "Production",
            ["ConnectionStrings__redis"] = $"127.0.0.1:{redis.Port}",
            ["EventBus__AppId"] = App,
            ["EventBus__ProcessingTimeout"] = "00:00:02",
            ["EventBus__OutboxSweepInterval"] = "00:00:00.200",
            ["EventBus__RetryBackoff"] = "00:00:00.010",
            ["EventBus__MaxDeliveryAttempts"] = "20",
            ["Logging__LogLevel__Default"] = "Warning",
        });
}
