using Disputes.ServiceDefaults.Health;
using Grpc.Health.V1;
using Grpc.Net.Client;
using AspNetServer = Microsoft.AspNetCore.Hosting.Server.IServer;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using StackExchange.Redis;
using static Grpc.Health.V1.HealthCheckResponse.Types;

namespace Disputes.IntegrationTests;

/// <summary>
/// A real service (records) over a real redis-server answers the names its Kubernetes probes ask
/// for: with Redis gone, readiness is NOT_SERVING (the pod leaves the Service) while liveness stays
/// SERVING (the pod is not restarted for it).
/// </summary>
public sealed class GrpcHealthProbeTests
{
    [Fact]
    public async Task Redis_going_away_makes_readiness_NOT_SERVING_and_leaves_liveness_SERVING()
    {
        var redis = new RedisServerFixture();
        await redis.InitializeAsync();
        try
        {
            await using var host = await RecordsHost.StartAsync(redis);
            var server = (TestServer)host.Services.GetRequiredService<AspNetServer>();
            using var channel = GrpcChannel.ForAddress("http://localhost", new GrpcChannelOptions { HttpHandler = server.CreateHandler() });
            var health = new Health.HealthClient(channel);
            async Task<ServingStatus> Check(string service) => (await health.CheckAsync(new HealthCheckRequest { Service = service })).Status;

            // Ready once its consumer groups exist, which the host creates in the background after it starts.
            await Eventually.HoldsAsync(async () => await Check(GrpcHealthNames.Readiness) == ServingStatus.Serving, "the service is ready");
            Assert.Equal(ServingStatus.Serving, await Check(GrpcHealthNames.Liveness));

            foreach (var endpoint in redis.Redis.GetEndPoints())
            {
                try
                {
                    await redis.Redis.GetServer(endpoint).ExecuteAsync("SHUTDOWN", "NOSAVE");
                }
                catch (RedisConnectionException)
                {
                    // The server closes the connection as it goes.
                }
            }

            Assert.Equal(ServingStatus.NotServing, await Check(GrpcHealthNames.Readiness));
            Assert.Equal(ServingStatus.NotServing, await Check(""));
            Assert.Equal(ServingStatus.Serving, await Check(GrpcHealthNames.Liveness));
        }
        finally
        {
            await redis.DisposeAsync();
        }
    }
}
