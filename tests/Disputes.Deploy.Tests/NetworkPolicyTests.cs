using Disputes.Deploy.Tests.Infrastructure;
using YamlDotNet.RepresentationModel;

namespace Disputes.Deploy.Tests;

/// <summary>
/// Ingress is denied by default; only the gateway takes traffic from outside the namespace; the services
/// take it from the gateway and Dapr; Redis only from the services (and their Dapr sidecars).
/// </summary>
public sealed class NetworkPolicyTests
{
    private const string DaprSystemNamespace = "dapr-system";

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
            foreach (var peer in policy.Spec.Items("ingress").SelectMany(rule => rule.Items("from")))
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

                var fromDapr = peer.Get("ipBlock") is null
                    && peer.Get("namespaceSelector").StringMap("matchLabels").SequenceEqual(
                        [new KeyValuePair<string, string>("kubernetes.io/metadata.name", DaprSystemNamespace)])
                    && !peer.Get("namespaceSelector").Items("matchExpressions").Any();
                var onlyServices = selected.Count > 0 && selected.All(s => Processes.Services.Any(p => p.Name == s));
                if (!(fromDapr && onlyServices))
                {
                    problems.Add($"{policy}: admits traffic from outside the namespace to {string.Join(", ", selected)}");
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

    private static HashSet<string> SelectedProcesses(RenderedOverlay rendered, K8sObject policy) =>
        rendered.Workloads
            .Where(w => LabelSelector.Matches(policy.Spec.Get("podSelector"), w.PodLabels))
            .Select(w => w.PodLabels.GetValueOrDefault(Labels.Name) ?? w.Name)
            .ToHashSet(StringComparer.Ordinal);
}
