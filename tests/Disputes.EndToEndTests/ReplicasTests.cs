using Disputes.V1;
using Grpc.Core;
using Grpc.Health.V1;
using static Grpc.Health.V1.HealthCheckResponse.Types;

namespace Disputes.EndToEndTests;

/// <summary>Calls through the gateway are balanced over every replica of a service, not held on one.</summary>
[Collection(ReplicasCollection.Name)]
public sealed class ReplicasTests(ReplicasFixture replicas)
{
    private const string RaiseMethod = "/disputes.v1.ChallengeService/RaiseChallenge";
    private const string GetMethod = "/disputes.v1.ChallengeService/GetChallenge";

    [Fact]
    public async Task Two_replicas_behind_the_gateway_both_serve_and_share_one_store()
    {
        var health = new Health.HealthClient(replicas.Gateway);
        await UntilAsync(async () => (await health.CheckAsync(new HealthCheckRequest { Service = "disputes.v1.ChallengeService" })).Status == ServingStatus.Serving);
        var challenges = new ChallengeService.ChallengeServiceClient(replicas.Gateway);
        var caller = new Metadata { { "authorization", "Bearer " + replicas.Token("pc-replicas", "police") } };
        var before = ReplicasFixture.Replicas.ToDictionary(r => r, r => Served(r, RaiseMethod) + Served(r, GetMethod));

        // One HTTP/2 connection from the test to the gateway: any spread is the gateway's doing.
        const int calls = 40;
        for (var i = 0; i < calls / 2; i++)
        {
            var raised = await challenges.RaiseChallengeAsync(DisputeLifecycleTests.NewRaise(), caller);
            // Whichever replica answers reads what the other wrote: one store.
            Assert.Equal(raised, await challenges.GetChallengeAsync(new GetChallengeRequest { Name = raised.Name }, caller));
        }

        // The request log line can trail the response by a moment.
        await UntilAsync(() => Task.FromResult(ReplicasFixture.Replicas.Sum(r => Served(r, RaiseMethod) + Served(r, GetMethod) - before[r]) >= calls));
        var served = ReplicasFixture.Replicas.ToDictionary(r => r, r => Served(r, RaiseMethod) + Served(r, GetMethod) - before[r]);
        Assert.Equal(calls, served.Values.Sum());
        Assert.All(served, replica => Assert.True(replica.Value > 0, $"{replica.Key} served none of {calls} calls: {string.Join(", ", served)}"));
    }

    [Fact]
    public async Task Each_replica_is_a_destination_of_its_own_so_the_gateway_reports_the_service_SERVING()
    {
        var health = new Health.HealthClient(replicas.Gateway);
        await UntilAsync(async () => (await health.CheckAsync(new HealthCheckRequest { Service = "disputes.v1.ChallengeService" })).Status == ServingStatus.Serving);
        // Nothing runs behind the other services here: those names say so, the gateway itself does not.
        Assert.Equal(ServingStatus.NotServing, (await health.CheckAsync(new HealthCheckRequest { Service = "disputes.v1.RecordsService" })).Status);
        Assert.Equal(ServingStatus.Serving, (await health.CheckAsync(new HealthCheckRequest())).Status);
    }

    /// <summary>How many calls of a method a replica logged serving ("Request starting HTTP/2 POST .../method").</summary>
    private int Served(string replica, string method) =>
        replicas.OutputOf(replica).Count(line => line.Contains("Request starting", StringComparison.Ordinal) && line.Contains(method, StringComparison.Ordinal));

    private static async Task UntilAsync(Func<Task<bool>> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "the condition did not hold within 30 s");
            await Task.Delay(100);
        }
    }
}
