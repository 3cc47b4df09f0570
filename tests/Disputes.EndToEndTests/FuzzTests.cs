using System.Net;
using Disputes.Procedure;
using Google.Protobuf.Reflection;
using Grpc.Core;
using Grpc.Health.V1;
using Xunit.Abstractions;

namespace Disputes.EndToEndTests;

/// <summary>
/// A bounded fuzz run through the gateway over every RPC of the public API: generated messages
/// never get INTERNAL (or UNKNOWN, DATA_LOSS, or UNAVAILABLE from a backend gone) and never end a process.
/// </summary>
[Collection(SuiteCollection.Name)]
public sealed class FuzzTests(SuiteFixture suite, ITestOutputHelper output)
{
    private const int MessagesPerRpc = 200;
    private const int ConcurrentCallsPerRpc = 8;
    private const int ConcurrentWatches = 32;
    // RPCs fuzzed at once: all 50 at once put 400 calls in flight on two cores, and calls then
    // outlive their deadline from queueing alone, which is not what this test is about.
    private const int ConcurrentRpcs = 10;

    private static readonly StatusCode[] Failures = [StatusCode.Internal, StatusCode.Unknown, StatusCode.DataLoss, StatusCode.Unavailable];

    [Fact]
    public async Task Generated_messages_to_every_RPC_get_no_INTERNAL_and_crash_no_process()
    {
        var abuse = new AbuseTests(suite);
        var dispute = await abuse.SeedAsync();
        var seed = Environment.TickCount;
        // A dispute of the fuzz's own: a generated command may escalate or resolve it.
        string[] names = [dispute.ForFuzz, dispute.ForFuzz + "/escalation", dispute.ForFuzz + "/entries/x", "agencies/police-abuse",
            "agencies/police-abuse/webhookSubscriptions/x", "agencies/police-abuse/emailSubscriptions/x", "professionals/pc-301", "timescalePolicies/default", "timescalePolicies/default@1"];
        Who[] callers =
        [
            AbuseTests.Raiser, AbuseTests.AnotherAgency, AbuseTests.UnappointedIro,
            new("the partnership", "scp-301", "partnership-abuse", DisputeRoles.Partnership),
            new("support", "eng-301", "suite-abuse", DisputeRoles.Support),
        ];

        using var rpcSlots = new SemaphoreSlim(ConcurrentRpcs);
        var results = await Task.WhenAll(Rpcs.All.Select(async (method, index) =>
        {
            await rpcSlots.WaitAsync();
            try
            {
                return (Method: method.FullName, Outcomes: await FuzzAsync(method, index));
            }
            finally
            {
                rpcSlots.Release();
            }
        }));

        async Task<List<(StatusCode Status, string Detail)>> FuzzAsync(MethodDescriptor method, int index)
        {
            var fuzzer = new MessageFuzzer(new Random(seed + index), names);
            var messages = Enumerable.Range(0, MessagesPerRpc).Select(_ => fuzzer.Next(method.InputType)).ToList();
            var outcomes = new List<(StatusCode Status, string Detail)>();
            await Parallel.ForEachAsync(Enumerable.Range(0, MessagesPerRpc), new ParallelOptions { MaxDegreeOfParallelism = method.IsServerStreaming ? ConcurrentWatches : ConcurrentCallsPerRpc },
                async (i, _) =>
                {
                    // Spread over professionals and addresses so the suite's low rate limits do not hide the services.
                    var caller = callers[i % callers.Length];
                    var headers = abuse.Headers(caller with { Professional = $"{caller.Professional}-{index}-{i % 8}" }, $"198.18.{index}.{1 + i % 8}");
                    var outcome = await Rpcs.CallAsync(suite.Gateway, method, messages[i], headers, TimeSpan.FromSeconds(method.IsServerStreaming ? 0.3 : 10));
                    lock (outcomes)
                        outcomes.Add((outcome.Status, outcome.Detail));
                });
            return outcomes;
        }

        var failures = results.SelectMany(r => r.Outcomes.Where(o => Failures.Contains(o.Status)).Select(o => $"{r.Method}: {o.Status} {o.Detail}"))
            .Distinct().Take(20).ToList();
        var tally = string.Join(", ", results.SelectMany(r => r.Outcomes).GroupBy(o => o.Status).Select(g => $"{g.Key} {g.Count()}"));
        output.WriteLine($"seed {seed}; {Rpcs.All.Count} RPCs x {MessagesPerRpc} messages: {tally}");
        Assert.True(failures.Count == 0, $"seed {seed}; {tally}\n{string.Join('\n', failures)}\n{string.Join('\n', suite.ExitedProcesses().Select(p => $"{p} exited:\n{suite.OutputOf(p)}"))}");
        Assert.Equal(Rpcs.All.Count * MessagesPerRpc, results.Sum(r => r.Outcomes.Count));

        Assert.Empty(suite.ExitedProcesses());
        // Calls the fuzz ended itself (deadlines, Watch streams closed after 0.3 s) are no backend's failure:
        // the gateway keeps every backend in service. Its health report catches up within a second.
        await Task.Delay(TimeSpan.FromSeconds(1.5));
        var health = new Health.HealthClient(suite.Gateway);
        foreach (var service in Rpcs.Services.Select(s => s.FullName))
            Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, (await health.CheckAsync(new HealthCheckRequest { Service = service })).Status);
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        foreach (var process in new[] { "challenge", "escalation", "notification", "records", "gateway" })
        {
            using var ready = await http.GetAsync($"http://127.0.0.1:{suite.HttpPortOf(process)}/health/ready");
            Assert.True(ready.StatusCode == HttpStatusCode.OK, $"{process} is not ready after the fuzz run:\n{suite.OutputOf(process)}");
        }
    }
}
