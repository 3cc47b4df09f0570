using System.Diagnostics.CodeAnalysis;
using Disputes.Gateway.Health;
using Grpc.Core;
using Grpc.Health.V1;
using Grpc.HealthCheck;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Yarp.ReverseProxy;
using Yarp.ReverseProxy.Configuration;
using Yarp.ReverseProxy.Forwarder;
using Yarp.ReverseProxy.Model;
using static Grpc.Health.V1.HealthCheckResponse.Types;

namespace Disputes.UnitTests;

internal static class HealthServiceImplExtensions
{
    public static bool TryGetStatus(this HealthServiceImpl health, string service)
    {
        try
        {
            health.Check(new HealthCheckRequest { Service = service }, null!).GetAwaiter().GetResult();
            return true;
        }
        catch (RpcException)
        {
            return false;
        }
    }
}

/// <summary>What the gateway's gRPC health service says of itself and of each backend, from YARP's view of the destinations.</summary>
public sealed class GatewayHealthTests
{
    private const DestinationHealth Healthy = DestinationHealth.Healthy;
    private const DestinationHealth Unhealthy = DestinationHealth.Unhealthy;
    private const DestinationHealth Unknown = DestinationHealth.Unknown;

    [Theory]
    [InlineData(new[] { Healthy }, new[] { Unknown }, ServingStatus.Serving)]
    [InlineData(new[] { Healthy, Unhealthy }, new[] { Unknown, Unknown }, ServingStatus.Serving)]
    [InlineData(new[] { Unhealthy, Unhealthy }, new[] { Unknown, Unknown }, ServingStatus.NotServing)]
    // Not yet probed is not known to be healthy.
    [InlineData(new[] { Unknown }, new[] { Unknown }, ServingStatus.NotServing)]
    // Calls failing at the transport take a destination out even between probes.
    [InlineData(new[] { Healthy }, new[] { Unhealthy }, ServingStatus.NotServing)]
    [InlineData(new[] { Healthy, Healthy }, new[] { Unhealthy, Unknown }, ServingStatus.Serving)]
    [InlineData(new DestinationHealth[0], new DestinationHealth[0], ServingStatus.NotServing)]
    public void A_backend_serves_while_one_destination_of_its_cluster_is_healthy(DestinationHealth[] active, DestinationHealth[] passive, ServingStatus expected) =>
        Assert.Equal(expected, BackendStatus.Of(Cluster("challenge", probed: true, active.Zip(passive).ToArray())));

    [Fact]
    public void Without_active_checks_a_destination_counts_until_calls_to_it_fail()
    {
        Assert.Equal(ServingStatus.Serving, BackendStatus.Of(Cluster("challenge", probed: false, (Unknown, Unknown))));
        Assert.Equal(ServingStatus.NotServing, BackendStatus.Of(Cluster("challenge", probed: false, (Unknown, Unhealthy))));
    }

    [Fact]
    public async Task Every_backend_down_leaves_the_gateway_itself_SERVING_and_each_service_NOT_SERVING()
    {
        var proxy = new Proxy(ProxiedServices.Names.Select(service => Cluster(service, probed: true, (Unhealthy, Unknown))));
        var health = await ReportAsync(proxy, own: HealthStatus.Healthy);

        Assert.Equal(ServingStatus.Serving, await StatusAsync(health, ""));
        foreach (var service in ProxiedServices.Names)
            Assert.Equal(ServingStatus.NotServing, await StatusAsync(health, service));
    }

    [Fact]
    public async Task Each_service_name_reports_its_own_backend()
    {
        var proxy = new Proxy(ProxiedServices.Names.Select(service => service.EndsWith("RecordsService", StringComparison.Ordinal)
            ? Cluster(service, probed: true, (Unhealthy, Unknown), (Unhealthy, Unknown))
            : Cluster(service, probed: true, (Unhealthy, Unknown), (Healthy, Unknown))));
        var health = await ReportAsync(proxy, own: HealthStatus.Healthy);

        Assert.Equal(ServingStatus.NotServing, await StatusAsync(health, "disputes.v1.RecordsService"));
        Assert.Equal(ServingStatus.Serving, await StatusAsync(health, "disputes.v1.ChallengeService"));
        Assert.Equal(ServingStatus.Serving, await StatusAsync(health, "disputes.v1.EscalationService"));
        Assert.Equal(ServingStatus.Serving, await StatusAsync(health, "disputes.v1.NotificationService"));
    }

    [Fact]
    public async Task The_gateway_failing_its_own_readiness_is_NOT_SERVING_overall()
    {
        var proxy = new Proxy(ProxiedServices.Names.Select(service => Cluster(service, probed: true, (Healthy, Unknown))));
        var health = await ReportAsync(proxy, own: HealthStatus.Unhealthy);

        Assert.Equal(ServingStatus.NotServing, await StatusAsync(health, ""));
        Assert.Equal(ServingStatus.Serving, await StatusAsync(health, "disputes.v1.ChallengeService"));
    }

    [Fact]
    public async Task A_name_the_gateway_does_not_serve_is_NOT_FOUND()
    {
        var health = await ReportAsync(new Proxy([]), own: HealthStatus.Healthy);

        var error = await Assert.ThrowsAsync<RpcException>(() => StatusAsync(health, "disputes.v1.NoSuchService"));
        Assert.Equal(StatusCode.NotFound, error.StatusCode);
        // A service with no route (nothing configured for it) is not served either.
        Assert.Equal(ServingStatus.NotServing, await StatusAsync(health, "disputes.v1.ChallengeService"));
    }

    [Fact]
    public async Task A_failed_round_leaves_the_reporter_running_and_the_next_round_reports()
    {
        var proxy = new Proxy(ProxiedServices.Names.Select(service => Cluster(service, probed: true, (Healthy, Unknown))));
        var time = new FakeTimeProvider();
        var health = new HealthServiceImpl();
        var ownChecks = new FailingOnce();
        using var reporter = new BackendHealthReporter(health, ownChecks, proxy, time,
            Options.Create(new BackendHealthOptions { ReportInterval = TimeSpan.FromSeconds(1) }), NullLogger<BackendHealthReporter>.Instance);

        await reporter.StartAsync(CancellationToken.None);

        // The loop runs on the thread pool: each tick gets a moment to report.
        for (var i = 0; i < 200 && !health.TryGetStatus("disputes.v1.RecordsService"); i++)
        {
            time.Advance(TimeSpan.FromSeconds(1));
            await Task.Delay(10);
        }

        // Only a successful round sets statuses, and the first one failed: a later round ran.
        Assert.True(ownChecks.Calls >= 2, $"{ownChecks.Calls} rounds");
        Assert.Equal(ServingStatus.Serving, await StatusAsync(health, ""));
        Assert.Equal(ServingStatus.Serving, await StatusAsync(health, "disputes.v1.RecordsService"));

        await reporter.StopAsync(CancellationToken.None);
        // A gateway shutting down says so to its probes.
        Assert.Equal(ServingStatus.NotServing, await StatusAsync(health, ""));
    }

    private sealed class FailingOnce : HealthCheckService
    {
        public int Calls;

        public override Task<HealthReport> CheckHealthAsync(Func<HealthCheckRegistration, bool>? predicate, CancellationToken cancellationToken = default) =>
            Interlocked.Increment(ref Calls) == 1
                ? throw new InvalidOperationException("the first round fails")
                : Task.FromResult(new HealthReport(new Dictionary<string, HealthReportEntry>(), TimeSpan.Zero));
    }

    private static async Task<HealthServiceImpl> ReportAsync(Proxy proxy, HealthStatus own)
    {
        var services = new ServiceCollection().AddLogging();
        services.AddHealthChecks().AddCheck("self", () => new HealthCheckResult(own));
        await using var provider = services.BuildServiceProvider();
        var health = new HealthServiceImpl();
        var reporter = new BackendHealthReporter(health, provider.GetRequiredService<HealthCheckService>(), proxy, new FakeTimeProvider(),
            Options.Create(new BackendHealthOptions()), NullLogger<BackendHealthReporter>.Instance);
        await reporter.ReportAsync(CancellationToken.None);
        return health;
    }

    private static async Task<ServingStatus> StatusAsync(HealthServiceImpl health, string service) =>
        (await health.Check(new HealthCheckRequest { Service = service }, null!)).Status;

    private static ClusterState Cluster(string service, bool probed, params (DestinationHealth Active, DestinationHealth Passive)[] destinations)
    {
        var config = new ClusterConfig
        {
            ClusterId = service,
            HealthCheck = new HealthCheckConfig { Active = new ActiveHealthCheckConfig { Enabled = probed } },
        };
        var cluster = new ClusterState(service, new ClusterModel(config, new HttpMessageInvoker(new SocketsHttpHandler())));
        for (var i = 0; i < destinations.Length; i++)
        {
            var destination = new DestinationState($"pod-{i}");
            destination.Health.Active = destinations[i].Active;
            destination.Health.Passive = destinations[i].Passive;
            cluster.Destinations[destination.DestinationId] = destination;
        }
        return cluster;
    }

    /// <summary>YARP's state as the gateway's configuration makes it: a route "/{service}/{**method}" to a cluster per service.</summary>
    private sealed class Proxy(IEnumerable<ClusterState> clusters) : IProxyStateLookup
    {
        private readonly List<RouteModel> _routes = clusters.Select(cluster => new RouteModel(
            new RouteConfig { RouteId = cluster.ClusterId, ClusterId = cluster.ClusterId, Match = new RouteMatch { Path = $"/{cluster.ClusterId}/{{**method}}" } },
            cluster, HttpTransformer.Empty)).ToList();

        public bool TryGetRoute(string id, [NotNullWhen(true)] out RouteModel? route) => (route = _routes.Find(r => r.Config.RouteId == id)) is not null;

        public IEnumerable<RouteModel> GetRoutes() => _routes;

        public bool TryGetCluster(string id, [NotNullWhen(true)] out ClusterState? cluster) =>
            (cluster = _routes.Select(r => r.Cluster).FirstOrDefault(c => c?.ClusterId == id)) is not null;

        public IEnumerable<ClusterState> GetClusters() => _routes.Select(r => r.Cluster!);
    }
}
