using Disputes.Deploy.Tests.Infrastructure;
using YamlDotNet.RepresentationModel;

namespace Disputes.Deploy.Tests;

/// <summary>
/// Ingress is denied by default; only the gateway takes traffic from outside the namespace (and the
/// sidecars' metrics port from the scraper); the services take it from the gateway; Redis only from
/// the services (and their Dapr sidecars).
/// </summary>
public sealed class NetworkPolicyTests
{
    private const string DaprSystemNamespace = "dapr-system";
    private const string MonitoringNamespace = "monitoring";
    private const string MetricsPort = "9090";

    [Theory]
    [MemberData(nameof(TestData.Overlays), MemberType = typeof(TestData))]
    public void Ingress_is_denied_by_default(string overlay)
    {
        var policies = RenderedOverlay.Get(overlay).OfKind("NetworkPolicy");
        Assert.Contains(policies, p =>
            LabelSelector.IsEmpty(p.Spec.Get("podSelector"))
            && p.Spec.Items("policyTypes").Any(t => (t as YamlScalarNode)?.Value == "Ingress")
            && !p.Spec.Items("ingress").Any());
    }

    [Theory]
    [MemberData(nameof(TestData.Overlays), MemberType = typeof(TestData))]
    public void Every_workload_is_opened_by_an_explicit_policy(string overlay)
    {
        var rendered = RenderedOverlay.Get(overlay);
        var explicitPolicies = rendered.OfKind("NetworkPolicy").Where(p => p.Spec.Items("ingress").Any()).ToList();
        var closed = rendered.Workloads
            .Where(w => !explicitPolicies.Any(p => LabelSelector.Matches(p.Spec.Get("podSelector"), w.PodLabels)))
            .Select(w => w.ToString())
            .ToList();
        Assert.True(closed.Count == 0, $"{overlay}: no NetworkPolicy lets traffic reach {string.Join(", ", closed)}.");
    }

    [Theory]
    [MemberData(nameof(TestData.Overlays), MemberType = typeof(TestData))]
    public void Only_the_gateway_takes_traffic_from_outside_the_namespace(string overlay)
    {
        var rendered = RenderedOverlay.Get(overlay);
        var problems = new List<string>();
        foreach (var policy in rendered.OfKind("NetworkPolicy"))
        {
            var selected = SelectedProcesses(rendered, policy);
            foreach (var rule in policy.Spec.Items("ingress"))
            {
                foreach (var peer in rule.Items("from"))
                {
                    var fromOutside = peer.Get("namespaceSelector") is not null || peer.Get("ipBlock") is not null;
                    if (!fromOutside)
                    {
                        continue;
                    }

                    if (selected.Count == 1 && selected.Contains("gateway"))
                    {
                        continue;
                    }

                    // The Dapr control plane only answers connections the sidecars open (sentry, operator,
                    // placement, scheduler): nothing in dapr-system calls into a pod, so it is admitted nowhere.
                    var onlyServices = selected.Count > 0 && selected.All(s => Processes.Services.Any(p => p.Name == s));
                    // The metrics scraper: its own namespace and pods, and only the Dapr sidecars' metrics port.
                    var fromScraper = IsNamespace(peer, MonitoringNamespace) && peer.Get("podSelector") is not null
                        && rule.Items("ports").Any() && rule.Items("ports").All(p => p.Str("port") == MetricsPort);
                    if (!(fromScraper && onlyServices))
                    {
                        problems.Add($"{policy}: admits traffic from outside the namespace to {string.Join(", ", selected)}");
                    }
                }
            }
        }

        Assert.True(problems.Count == 0, $"{overlay}:{Environment.NewLine}{string.Join(Environment.NewLine, problems)}");
    }

    [Theory]
    [MemberData(nameof(TestData.OverlaysAndServices), MemberType = typeof(TestData))]
    public void Services_take_grpc_from_the_gateway(string overlay, string service)
    {
        var rendered = RenderedOverlay.Get(overlay);
        var deployment = PolicyTests.DeploymentOf(overlay, service);
        var gateway = PolicyTests.DeploymentOf(overlay, "gateway");
        var grpcPort = PolicyTests.GrpcPortOf(service);
        var open = rendered.OfKind("NetworkPolicy")
            .Where(p => LabelSelector.Matches(p.Spec.Get("podSelector"), deployment.PodLabels))
            .SelectMany(p => p.Spec.Items("ingress"))
            .Any(rule =>
                rule.Items("from").Any(peer => peer.Get("namespaceSelector") is null && LabelSelector.Matches(peer.Get("podSelector"), gateway.PodLabels))
                && (!rule.Items("ports").Any() || rule.Items("ports").Any(p =>
                    PolicyTests.ResolveContainerPort(deployment.Containers.First(), p.Str("port")) == grpcPort)));
        Assert.True(open, $"{overlay}: no NetworkPolicy lets the gateway reach {service} on its gRPC port {grpcPort}.");
    }

    [Theory]
    [MemberData(nameof(TestData.Overlays), MemberType = typeof(TestData))]
    public void Redis_takes_connections_only_from_the_services(string overlay)
    {
        var rendered = RenderedOverlay.Get(overlay);
        var redis = rendered.Find("StatefulSet", "redis");
        if (redis is null)
        {
            return; // managed Redis: outside the cluster
        }

        var services = Processes.Services.Select(p => p.Name).ToHashSet(StringComparer.Ordinal);
        var policies = rendered.OfKind("NetworkPolicy")
            .Where(p => p.Spec.Items("ingress").Any() && LabelSelector.Matches(p.Spec.Get("podSelector"), redis.PodLabels))
            .ToList();
        Assert.NotEmpty(policies);
        foreach (var peer in policies.SelectMany(p => p.Spec.Items("ingress")).SelectMany(rule => rule.Items("from")))
        {
            Assert.True(peer.Get("namespaceSelector") is null && peer.Get("ipBlock") is null, $"{overlay}: Redis admits traffic from outside the namespace.");
            var admitted = rendered.Workloads
                .Where(w => LabelSelector.Matches(peer.Get("podSelector"), w.PodLabels))
                .Select(w => w.PodLabels.GetValueOrDefault(Labels.Name) ?? w.Name)
                .ToHashSet(StringComparer.Ordinal);
            Assert.True(admitted.SetEquals(services), $"{overlay}: Redis admits [{string.Join(", ", admitted)}], expected exactly the services.");
        }
    }

    [Theory]
    [MemberData(nameof(TestData.Overlays), MemberType = typeof(TestData))]
    public void Egress_is_denied_by_default(string overlay)
    {
        var policies = RenderedOverlay.Get(overlay).OfKind("NetworkPolicy");
        Assert.Contains(policies, p =>
            LabelSelector.IsEmpty(p.Spec.Get("podSelector"))
            && p.Spec.Items("policyTypes").Any(t => (t as YamlScalarNode)?.Value == "Egress")
            && !p.Spec.Items("egress").Any());
    }

    [Theory]
    [MemberData(nameof(TestData.Overlays), MemberType = typeof(TestData))]
    public void Every_pod_may_resolve_names(string overlay)
    {
        var rendered = RenderedOverlay.Get(overlay);
        foreach (var workload in rendered.Workloads)
        {
            var dns = EgressRules(rendered, workload).Any(rule =>
                rule.Items("to").Any(peer => IsNamespace(peer, "kube-system") && peer.Get("podSelector").StringMap("matchLabels").GetValueOrDefault("k8s-app") == "kube-dns")
                && rule.Items("ports").Any(p => p.Str("port") == "53" && p.Str("protocol") == "UDP"));
            Assert.True(dns, $"{overlay}/{workload}: may not reach kube-dns on 53/UDP.");
        }
    }

    [Theory]
    [MemberData(nameof(TestData.OverlaysAndServices), MemberType = typeof(TestData))]
    public void Services_reach_redis_and_the_collector_and_the_gateway_reaches_them(string overlay, string service)
    {
        var rendered = RenderedOverlay.Get(overlay);
        var deployment = PolicyTests.DeploymentOf(overlay, service);
        var collector = rendered.Find("Deployment", "otel-collector")!;
        Assert.True(MayReach(rendered, deployment, collector, 4317), $"{overlay}: {service} may not send traces to the collector.");
        if (rendered.Find("StatefulSet", "redis") is { } redis)
            Assert.True(MayReach(rendered, deployment, redis, 6379), $"{overlay}: {service} may not reach Redis.");
        else
            Assert.True(EgressRules(rendered, deployment).Any(r => !r.Items("to").Any() && r.Items("ports").Any(p => p.Str("port") is "6379" or "6380")),
                $"{overlay}: {service} may not reach the managed Redis.");
        var gateway = PolicyTests.DeploymentOf(overlay, "gateway");
        Assert.True(MayReach(rendered, gateway, deployment, PolicyTests.GrpcPortOf(service)), $"{overlay}: the gateway may not reach {service}'s gRPC port.");
        Assert.True(MayReach(rendered, gateway, deployment, PolicyTests.HttpPortOf(service)), $"{overlay}: the gateway may not reach {service}'s REST/JSON port.");
    }

    [Theory]
    [MemberData(nameof(TestData.Overlays), MemberType = typeof(TestData))]
    public void Redis_and_jaeger_reach_nothing_but_dns_and_nothing_reaches_redis_but_the_services(string overlay)
    {
        var rendered = RenderedOverlay.Get(overlay);
        foreach (var name in new[] { "redis", "jaeger" })
        {
            var workload = rendered.Workloads.SingleOrDefault(w => w.PodLabels.GetValueOrDefault(Labels.Name) == name);
            if (workload is null)
                continue;
            var beyondDns = EgressRules(rendered, workload).Where(rule => !rule.Items("ports").All(p => p.Str("port") == "53")).ToList();
            Assert.True(beyondDns.Count == 0, $"{overlay}: {name} may send traffic beyond DNS.");
        }

        if (rendered.Find("StatefulSet", "redis") is { } redisPods)
        {
            var reachers = rendered.Workloads.Where(w => w != redisPods && MayReach(rendered, w, redisPods, 6379))
                .Select(w => w.PodLabels.GetValueOrDefault(Labels.Name) ?? w.Name).ToHashSet(StringComparer.Ordinal);
            Assert.True(reachers.SetEquals(Processes.Services.Select(p => p.Name)), $"{overlay}: [{string.Join(", ", reachers)}] may open connections to Redis.");
        }
    }

    [Theory]
    [MemberData(nameof(TestData.OverlaysAndServices), MemberType = typeof(TestData))]
    public void The_metrics_scraper_reaches_the_sidecars_metrics_port_only(string overlay, string service)
    {
        var rendered = RenderedOverlay.Get(overlay);
        var deployment = PolicyTests.DeploymentOf(overlay, service);
        Assert.Equal(MetricsPort, deployment.PodAnnotations.GetValueOrDefault("dapr.io/metrics-port"));
        var scraperRules = rendered.OfKind("NetworkPolicy")
            .Where(p => LabelSelector.Matches(p.Spec.Get("podSelector"), deployment.PodLabels))
            .SelectMany(p => p.Spec.Items("ingress"))
            .Where(rule => rule.Items("from").Any(peer => IsNamespace(peer, MonitoringNamespace)))
            .ToList();
        Assert.NotEmpty(scraperRules);
        Assert.All(scraperRules, rule => Assert.Equal([MetricsPort], rule.Items("ports").Select(p => p.Str("port"))));
    }

    [Theory]
    [MemberData(nameof(TestData.OverlaysAndServices), MemberType = typeof(TestData))]
    public void The_sidecars_reach_the_Dapr_control_plane_and_it_reaches_no_pod(string overlay, string service)
    {
        var rendered = RenderedOverlay.Get(overlay);
        var deployment = PolicyTests.DeploymentOf(overlay, service);
        Assert.Contains(EgressRules(rendered, deployment), rule => rule.Items("to").Any(peer => IsNamespace(peer, DaprSystemNamespace)));
        var admitted = rendered.OfKind("NetworkPolicy")
            .SelectMany(p => p.Spec.Items("ingress"))
            .Where(rule => rule.Items("from").Any(peer => IsNamespace(peer, DaprSystemNamespace)));
        Assert.Empty(admitted);
    }

    /// <summary>The egress rules of every policy that selects the workload's pods and restricts egress.</summary>
    private static IEnumerable<YamlNode> EgressRules(RenderedOverlay rendered, K8sObject workload) =>
        rendered.OfKind("NetworkPolicy")
            .Where(p => p.Spec.Items("policyTypes").Any(t => (t as YamlScalarNode)?.Value == "Egress")
                && LabelSelector.Matches(p.Spec.Get("podSelector"), workload.PodLabels))
            .SelectMany(p => p.Spec.Items("egress"));

    /// <summary>Whether the source's egress and the destination's ingress both admit the connection on the port.</summary>
    private static bool MayReach(RenderedOverlay rendered, K8sObject source, K8sObject destination, int port)
    {
        bool PortMatches(YamlNode rule) => !rule.Items("ports").Any() || rule.Items("ports").Any(p =>
            PolicyTests.ResolveContainerPort(destination.Containers.First(), p.Str("port")) == port);
        var egress = EgressRules(rendered, source).Any(rule => PortMatches(rule) && (!rule.Items("to").Any() || rule.Items("to").Any(peer =>
            peer.Get("namespaceSelector") is null && peer.Get("ipBlock") is null && LabelSelector.Matches(peer.Get("podSelector"), destination.PodLabels))));
        var ingress = rendered.OfKind("NetworkPolicy")
            .Where(p => LabelSelector.Matches(p.Spec.Get("podSelector"), destination.PodLabels))
            .SelectMany(p => p.Spec.Items("ingress"))
            .Any(rule => PortMatches(rule) && (!rule.Items("from").Any() || rule.Items("from").Any(peer =>
                peer.Get("namespaceSelector") is null && peer.Get("ipBlock") is null && LabelSelector.Matches(peer.Get("podSelector"), source.PodLabels))));
        return egress && ingress;
    }

    private static bool IsNamespace(YamlNode peer, string name) =>
        peer.Get("ipBlock") is null
        && peer.Get("namespaceSelector").StringMap("matchLabels").SequenceEqual([new KeyValuePair<string, string>("kubernetes.io/metadata.name", name)])
        && !peer.Get("namespaceSelector").Items("matchExpressions").Any();

    private static HashSet<string> SelectedProcesses(RenderedOverlay rendered, K8sObject policy) =>
        rendered.Workloads
            .Where(w => LabelSelector.Matches(policy.Spec.Get("podSelector"), w.PodLabels))
            .Select(w => w.PodLabels.GetValueOrDefault(Labels.Name) ?? w.Name)
            .ToHashSet(StringComparer.Ordinal);
}
