using Disputes.ServiceDefaults.Grpc;
using Disputes.ServiceDefaults.Health;
using Grpc.Core;
using Grpc.Health.V1;
using Grpc.Net.Client;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using static Grpc.Health.V1.HealthCheckResponse.Types;

namespace Disputes.UnitTests;

/// <summary>
/// What a service's gRPC health answers under the names its Kubernetes probes ask for: liveness is
/// the process alone; readiness (and "") every check, a failing one NOT_SERVING, a degraded one (an
/// old outbox) still serving, as over HTTP.
/// </summary>
public sealed class GrpcHealthProbeTests : IAsyncLifetime
{
    private HealthStatus _dependency = HealthStatus.Healthy;
    private WebApplication _app = null!;
    private GrpcChannel _channel = null!;

    public async Task InitializeAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseTestServer();
        builder.AddDisputesGrpc();
        // As the service defaults and a service register them: "self" alone tagged live, the rest readiness.
        builder.Services.AddHealthChecks()
            .AddCheck("self", () => HealthCheckResult.Healthy(), [HealthTags.Live])
            .AddCheck("redis", () => new HealthCheckResult(_dependency, "as the test says"));
        _app = builder.Build();
        _app.MapGrpcHealthChecksService();
        await _app.StartAsync();
        _channel = GrpcChannel.ForAddress(_app.GetTestServer().BaseAddress, new GrpcChannelOptions { HttpHandler = _app.GetTestServer().CreateHandler() });
    }

    public async Task DisposeAsync()
    {
        _channel.Dispose();
        await _app.DisposeAsync();
    }

    private async Task<ServingStatus> CheckAsync(string service) =>
        (await new Health.HealthClient(_channel).CheckAsync(new HealthCheckRequest { Service = service })).Status;

    [Fact]
    public async Task All_checks_healthy_serves_every_probe_name()
    {
        Assert.Equal(ServingStatus.Serving, await CheckAsync(GrpcHealthNames.Liveness));
        Assert.Equal(ServingStatus.Serving, await CheckAsync(GrpcHealthNames.Readiness));
        Assert.Equal(ServingStatus.Serving, await CheckAsync(""));
    }

    [Fact]
    public async Task A_failing_readiness_check_is_not_serving_for_readiness_and_leaves_liveness_serving()
    {
        _dependency = HealthStatus.Unhealthy;

        Assert.Equal(ServingStatus.NotServing, await CheckAsync(GrpcHealthNames.Readiness));
        Assert.Equal(ServingStatus.NotServing, await CheckAsync(""));
        // Redis down is no reason to restart the process.
        Assert.Equal(ServingStatus.Serving, await CheckAsync(GrpcHealthNames.Liveness));
    }

    [Fact]
    public async Task A_degraded_check_still_serves_as_readiness_over_HTTP_does()
    {
        _dependency = HealthStatus.Degraded;

        Assert.Equal(ServingStatus.Serving, await CheckAsync(GrpcHealthNames.Readiness));
    }

    [Fact]
    public async Task Readiness_follows_the_checks_as_they_change_not_a_cached_result()
    {
        Assert.Equal(ServingStatus.Serving, await CheckAsync(GrpcHealthNames.Readiness));
        _dependency = HealthStatus.Unhealthy;
        Assert.Equal(ServingStatus.NotServing, await CheckAsync(GrpcHealthNames.Readiness));
        _dependency = HealthStatus.Healthy;
        Assert.Equal(ServingStatus.Serving, await CheckAsync(GrpcHealthNames.Readiness));
    }

    [Fact]
    public async Task A_name_the_process_does_not_serve_is_not_found()
    {
        var refused = await Assert.ThrowsAsync<RpcException>(() => CheckAsync("ready"));
        Assert.Equal(StatusCode.NotFound, refused.StatusCode);
    }
}
