using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using Disputes.EventBus;
using Disputes.Procedure;
using Disputes.ServiceDefaults.Identity;
using Disputes.V1;
using Disputes.V1.Events;
using Grpc.Core;
using Grpc.Net.Client;
using StackExchange.Redis;
using Xunit.Abstractions;

namespace Disputes.IntegrationTests.Faults;

/// <summary>
/// The real challenge service process under concurrent raises while its Redis (AOF
/// <c>appendfsync always</c>) is killed with SIGKILL and restarted in place: no raise that returned
/// OK is lost, nor its event; calls during the outage are UNAVAILABLE; the service recovers unaided.
/// </summary>
[Trait(RedisTopology.Trait, RedisTopology.SingleServerOnly)]
[Collection(RedisCollection.Name)]
public sealed class ChallengeServiceRedisKillTests(ITestOutputHelper output)
{
    private const int Callers = 8;

    /// <summary>Longer than the client library's command timeout, so calls queued for the connection fail rather than wait it out.</summary>
    private static readonly TimeSpan Down = TimeSpan.FromSeconds(4);

    [Fact]
    public async Task Raises_that_returned_OK_survive_a_Redis_SIGKILL_and_the_service_recovers_without_a_restart()
    {
        var clock = Stopwatch.StartNew();
        await using var redis = await RedisProcess.StartAsync("always");
        var auth = new AuthOptions { SigningKey = DevelopmentTokens.NewSigningKey() };
        var (grpcPort, httpPort) = (RedisServerFixture.FreePort(), RedisServerFixture.FreePort());
        var program = ChildProcess.BuildOutputOf("services/challenge", "Disputes.Challenge");
        using var service = ChildProcess.Start("dotnet", [program], new Dictionary<string, string>
        {
            ["Kestrel__Endpoints__Grpc__Url"] = $"http://127.0.0.1:{grpcPort}",
            ["Kestrel__Endpoints__Http__Url"] = $"http://127.0.0.1:{httpPort}",
            ["ConnectionStrings__redis"] = redis.ConnectionString,
            ["Auth__SigningKey"] = auth.SigningKey,
            // The development signing key is refused outside Development.
            ["ASPNETCORE_ENVIRONMENT"] = "Development",
            ["EventBus__OutboxSweepInterval"] = "00:00:00.200",
        }, workingDirectory: Path.GetDirectoryName(program));
        await WaitUntilReadyAsync(httpPort, service);

        using var channel = GrpcChannel.ForAddress($"http://127.0.0.1:{grpcPort}");
        var client = new ChallengeService.ChallengeServiceClient(channel);
        var headers = new Metadata
        {
            { "authorization", "Bearer " + DevelopmentTokens.Mint(auth, "pc-101", "police", [DisputeRoles.Practitioner], TimeSpan.FromMinutes(10), DateTimeOffset.UtcNow) },
        };

        var raised = new ConcurrentQueue<(string Name, TimeSpan At)>();
        var failed = new ConcurrentQueue<(StatusCode Status, string Detail, TimeSpan At)>();
        using var stop = new CancellationTokenSource();
        var run = Stopwatch.StartNew();
        var callers = Enumerable.Range(0, Callers).Select(caller => Task.Run(async () =>
        {
            for (var n = 0; !stop.IsCancellationRequested && n < 100_000; n++)
            {
                try
                {
                    var challenge = await client.RaiseChallengeAsync(ChallengeCommandsTests.NewRaise($"kill-{caller}-{n}"), headers,
                        deadline: DateTime.UtcNow.AddSeconds(15));
                    raised.Enqueue((challenge.Name, run.Elapsed));
                }
                catch (RpcException ex)
                {
                    failed.Enqueue((ex.StatusCode, ex.Status.Detail, run.Elapsed));
                    await Task.Delay(50);
                }
            }
        })).ToArray();

        await Task.Delay(TimeSpan.FromSeconds(2));
        var beforeKill = raised.Count;
        var killedAt = run.Elapsed;
        await redis.CrashAndRestartAsync(down: Down);
        var restartedAt = run.Elapsed;
        // Raises succeed again, through the same process and its same connection multiplexer.
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (!raised.Any(r => r.At > restartedAt) && DateTime.UtcNow < deadline)
            await Task.Delay(50);
        var recoveredAt = raised.Where(r => r.At > restartedAt).Select(r => r.At).DefaultIfEmpty(TimeSpan.MaxValue).Min();
        await Task.Delay(TimeSpan.FromSeconds(2));
        await stop.CancelAsync();
        await Task.WhenAll(callers);

        var acknowledged = raised.ToArray();
        var failures = failed.ToArray();
        Assert.False(service.HasExited, $"the challenge service exited:\n{service.Output}");
        Assert.True(beforeKill > 0, "raises succeeded before the kill");
        Assert.True(recoveredAt != TimeSpan.MaxValue, $"no raise succeeded after Redis was back:\n{service.Output}");
        Assert.True(failures.Length > 0, "the outage was seen by callers");
        var wrong = failures.Where(f => f.Status != StatusCode.Unavailable).Select(f => $"{f.Status} {f.Detail}").Distinct().ToList();
        Assert.True(wrong.Count == 0, "calls during the outage must be UNAVAILABLE:\n" + string.Join('\n', wrong));

        // Every raise that returned OK is readable, and its event is published or still in the outbox.
        var unreadable = new List<string>();
        foreach (var (name, _) in acknowledged)
        {
            try
            {
                await client.GetChallengeAsync(new GetChallengeRequest { Name = name }, headers);
            }
            catch (RpcException ex)
            {
                unreadable.Add($"{name}: {ex.StatusCode}");
            }
        }
        Assert.True(unreadable.Count == 0, "raises lost:\n" + string.Join('\n', unreadable));

        await using var db = await ConnectionMultiplexer.ConnectAsync(redis.ConnectionString);
        var events = await RaisedEventsAsync(db.GetDatabase(), IntegrationEvents.TopicOf<ChallengeRaised>());
        var inOutbox = new HashSet<string>(StringComparer.Ordinal);
        foreach (var partition in OutboxReads.Of("challenge").StreamKeys)
            inOutbox.UnionWith(await RaisedEventsAsync(db.GetDatabase(), partition.ToString()));
        var withoutEvent = acknowledged.Select(a => a.Name["challenges/".Length..]).Where(id => !events.Contains(id) && !inOutbox.Contains(id)).ToList();
        Assert.True(withoutEvent.Count == 0, "raises whose ChallengeRaised event was lost:\n" + string.Join('\n', withoutEvent));

        output.WriteLine($"challenge service, {Callers} callers, redis SIGKILL at {killedAt.TotalSeconds:0.0} s (appendfsync always, {Down.TotalSeconds:0} s down): " +
            $"{acknowledged.Length} raises returned OK ({beforeKill} before the kill), {failures.Length} failed, all UNAVAILABLE; " +
            $"raises succeeded again {(recoveredAt - restartedAt).TotalSeconds:0.00} s after the restart without restarting the service; " +
            $"0 lost, {acknowledged.Length - withoutEvent.Count} events published or in the outbox ({inOutbox.Count} still there); whole run {clock.Elapsed.TotalSeconds:0} s");
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(60), $"the run took {clock.Elapsed}");
    }

    /// <summary>The challenge ids of the ChallengeRaised events in a stream (the topic, or the outbox whose entries hold the envelope).</summary>
    private static async Task<HashSet<string>> RaisedEventsAsync(IDatabase db, string stream)
    {
        var ids = new HashSet<string>(StringComparer.Ordinal);
        foreach (var entry in await db.StreamRangeAsync(stream, "-", "+"))
        {
            foreach (var value in entry.Values)
            {
                if (EventEnvelope.TryParse(value.Value.ToString()) is { } envelope && envelope.Type == IntegrationEvents.TypeOf(ChallengeRaised.Descriptor)
                    && envelope.DisputeId is { } id)
                    ids.Add(id);
            }
        }
        return ids;
    }

    private static async Task WaitUntilReadyAsync(int httpPort, ChildProcess service)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            Assert.False(service.HasExited, $"the challenge service exited:\n{service.Output}");
            try
            {
                using var response = await http.GetAsync($"http://127.0.0.1:{httpPort}/health/ready");
                if (response.StatusCode == HttpStatusCode.OK)
                    return;
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
            {
            }
            Assert.True(DateTime.UtcNow < deadline, $"the challenge service was not ready within 60 s:\n{service.Output}");
            await Task.Delay(200);
        }
    }
}
