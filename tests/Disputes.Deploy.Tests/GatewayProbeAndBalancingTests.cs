using System.Globalization;
using Disputes.Deploy.Tests.Infrastructure;

namespace Disputes.Deploy.Tests;

/// <summary>
/// The gateway balances over every pod of a service (headless Services, YARP's DNS destination
/// resolver, a load-balancing policy and health checks per cluster) and is probed over gRPC health.
/// </summary>
public sealed class GatewayProbeAndBalancingTests
{
    [Theory]
    [MemberData(nameof(TestData.Overlays), MemberType = typeof(TestData))]
    public void The_services_the_gateway_calls_are_headless_and_named_by_their_container_ports(string overlay)
    {
        var rendered = RenderedOverlay.Get(overlay);
        var problems = new List<string>();
        foreach (var (key, address) in Destinations(overlay))
        {
            var (host, port) = Urls.HostAndPort(address);
            var service = rendered.Find("Service", host);
            if (service is null)
            {
                problems.Add($"{key} = {address} names no Service");
                continue;
            }

            // A ClusterIP is one address: the gateway would hold one HTTP/2 connection to one pod behind it.
            if (service.Spec.Str("clusterIP") != "None")
            {
                problems.Add($"Service {host} (called by the gateway's {key}) is not headless (clusterIP: None)");
            }

            // Without a cluster IP nothing translates ports: the address must name the pods' own port.
            var cluster = key.Split(':')[2];
            var process = cluster.EndsWith("-http", StringComparison.Ordinal) ? cluster[..^"-http".Length] : cluster;
            var containerPorts = PolicyTests.DeploymentOf(overlay, process).Containers.First().Items("ports")
                .Select(p => p.Str("containerPort")).ToList();
            if (!containerPorts.Contains(port.ToString(CultureInfo.InvariantCulture)))
            {
                problems.Add($"{key} = {address}: port {port} is not a container port of {process} ({string.Join(", ", containerPorts)})");
            }
        }

        Assert.True(problems.Count == 0, $"{overlay}:{Environment.NewLine}{string.Join(Environment.NewLine, problems)}");
    }

    [Theory]
    [MemberData(nameof(TestData.Overlays), MemberType = typeof(TestData))]
    public void The_gateway_re_resolves_its_destinations_every_30_seconds_or_less(string overlay)
    {
        var env = EnvVar.Of(PolicyTests.DeploymentOf(overlay, "gateway").Containers.First())
            .ToDictionary(e => AppSettings.KeyOf(e.Name), e => e.Value, StringComparer.OrdinalIgnoreCase);
        Assert.True(env.TryGetValue("Gateway:DnsDestinations:RefreshPeriod", out var configured) && configured is not null,
            $"{overlay}: Gateway__DnsDestinations__RefreshPeriod is not set on the gateway.");
        var period = TimeSpan.Parse(configured, CultureInfo.InvariantCulture);
        Assert.InRange(period, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(30));
    }

    [Fact]
    public void Every_gateway_cluster_balances_and_checks_the_health_of_its_destinations()
    {
        var settings = Processes.Named("gateway").Settings;
        var clusters = settings.Values.Keys
            .Where(k => k.StartsWith("ReverseProxy:Clusters:", StringComparison.OrdinalIgnoreCase))
            .Select(k => k.Split(':')[2])
            .Distinct(StringComparer.Ordinal)
            .ToList();
        Assert.Equal(8, clusters.Count);
        foreach (var cluster in clusters)
        {
            string? Setting(string key) => settings[$"ReverseProxy:Clusters:{cluster}:{key}"];
            Assert.False(string.IsNullOrEmpty(Setting("LoadBalancingPolicy")), $"cluster {cluster} names no load-balancing policy");
            Assert.Equal("true", Setting("HealthCheck:Active:Enabled"), ignoreCase: true);
            Assert.Equal("/health/ready", Setting("HealthCheck:Active:Path"));
            Assert.Equal("true", Setting("HealthCheck:Passive:Enabled"), ignoreCase: true);
        }
    }

    [Theory]
    [MemberData(nameof(TestData.Overlays), MemberType = typeof(TestData))]
    public void The_gateway_is_ready_by_its_own_gRPC_health_on_its_gRPC_port(string overlay)
    {
        var container = PolicyTests.DeploymentOf(overlay, "gateway").Containers.First();
        var port = container.Str("readinessProbe", "grpc", "port");
        Assert.True(port is not null, $"{overlay}: the gateway's readinessProbe is not a grpc probe.");
        Assert.Equal(PolicyTests.GrpcPortOf("gateway"), int.Parse(port, CultureInfo.InvariantCulture));
        // The overall status (""), never one backend's name: one backend down must not take every gateway out of service.
        Assert.True(string.IsNullOrEmpty(container.Str("readinessProbe", "grpc", "service")),
            $"{overlay}: the gateway's readiness names a service; it must ask for the gateway's own status.");
    }

    private static IEnumerable<(string Key, string Address)> Destinations(string overlay)
    {
        var env = EnvVar.Of(PolicyTests.DeploymentOf(overlay, "gateway").Containers.First())
            .ToDictionary(e => AppSettings.KeyOf(e.Name), e => e.Value, StringComparer.OrdinalIgnoreCase);
        var keys = Processes.Named("gateway").Settings.Values.Keys
            .Where(k => k.StartsWith("ReverseProxy:Clusters:", StringComparison.OrdinalIgnoreCase) && k.EndsWith(":Address", StringComparison.OrdinalIgnoreCase))
            .ToList();
        Assert.NotEmpty(keys);
        foreach (var key in keys)
        {
            Assert.True(env.TryGetValue(key, out var address) && address is not null, $"{overlay}: the gateway's {key} is not set.");
            yield return (key, address);
        }
    }
}
