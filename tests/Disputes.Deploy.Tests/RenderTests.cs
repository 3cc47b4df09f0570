using Disputes.Deploy.Tests.Infrastructure;

namespace Disputes.Deploy.Tests;

/// <summary>Every overlay renders with <c>kubectl kustomize</c> and contains the whole suite.</summary>
public sealed class RenderTests
{
    [Fact]
    public void Dev_and_prod_overlays_exist()
    {
        var overlays = Repo.Overlays();
        Assert.Contains("dev", overlays);
        Assert.Contains("prod", overlays);
    }

    [Fact]
    public void Kubectl_is_on_the_path()
    {
        var kubectl = Tool.Kubectl();
        var result = Tool.Run(kubectl, ["version", "--client"], Repo.Root, TimeSpan.FromSeconds(60));
        Assert.True(result.ExitCode == 0, $"`kubectl version --client` failed: {result.Describe()}");
    }

    [Theory]
    [MemberData(nameof(TestData.Overlays), MemberType = typeof(TestData))]
    public void Overlay_renders(string overlay)
    {
        var rendered = RenderedOverlay.Get(overlay);
        Assert.NotEmpty(rendered.Objects);
        Assert.All(rendered.Objects, o =>
        {
            Assert.False(string.IsNullOrEmpty(o.ApiVersion), $"{o} has no apiVersion");
            Assert.False(string.IsNullOrEmpty(o.Kind), $"{o} has no kind");
            Assert.False(string.IsNullOrEmpty(o.Name), $"{o} has no metadata.name");
        });
    }

    [Theory]
    [MemberData(nameof(TestData.Overlays), MemberType = typeof(TestData))]
    public void Overlay_contains_every_process_with_its_companions(string overlay)
    {
        var rendered = RenderedOverlay.Get(overlay);
        foreach (var process in Processes.All)
        {
            var deployments = rendered.OfKind("Deployment").Where(d => d.PodLabels.GetValueOrDefault(Labels.Name) == process.Name).ToList();
            Assert.True(deployments.Count == 1, $"{overlay}: expected one Deployment for {process.Name}, found {deployments.Count}.");
            Assert.True(rendered.Find("Service", process.Name) is not null, $"{overlay}: no Service named {process.Name}.");
            Assert.True(rendered.Find("HorizontalPodAutoscaler", process.Name) is not null, $"{overlay}: no HorizontalPodAutoscaler for {process.Name}.");
        }
    }

    [Theory]
    [MemberData(nameof(TestData.Overlays), MemberType = typeof(TestData))]
    public void Overlay_contains_dapr_telemetry_and_ingress_resources(string overlay)
    {
        var rendered = RenderedOverlay.Get(overlay);
        var pubsub = rendered.Objects.Where(o => o.Kind == "Component" && o.ApiVersion.StartsWith("dapr.io/", StringComparison.Ordinal)).ToList();
        foreach (var service in Processes.Services)
            Assert.Contains(pubsub, c => c.Name == $"pubsub-{service.Name}" && c.Spec.Str("type") == "pubsub.redis");
        Assert.Single(rendered.OfKind("Resiliency"));
        Assert.Single(rendered.OfKind("Configuration"));
        Assert.NotNull(rendered.Find("Deployment", "otel-collector"));
        Assert.NotNull(rendered.Find("Service", "otel-collector"));
        Assert.NotNull(rendered.Find("Deployment", "jaeger"));
        Assert.NotEmpty(rendered.OfKind("Ingress"));
        Assert.NotEmpty(rendered.OfKind("NetworkPolicy"));
    }

    [Theory]
    [MemberData(nameof(TestData.Overlays), MemberType = typeof(TestData))]
    public void Everything_lands_in_the_overlays_namespace(string overlay)
    {
        var rendered = RenderedOverlay.Get(overlay);
        var namespaces = rendered.OfKind("Namespace").ToList();
        Assert.True(namespaces.Count == 1, $"{overlay}: expected one Namespace object, found {namespaces.Count}.");
        var name = namespaces[0].Name;
        var elsewhere = rendered.Objects.Where(o => o.Kind != "Namespace" && o.Namespace != name).Select(o => $"{o} in '{o.Namespace}'").ToList();
        Assert.True(elsewhere.Count == 0, $"{overlay}: objects outside namespace {name}: {string.Join(", ", elsewhere)}");
    }

    [Theory]
    [MemberData(nameof(TestData.Overlays), MemberType = typeof(TestData))]
    public void Object_names_are_unique_per_kind(string overlay)
    {
        var duplicates = RenderedOverlay.Get(overlay).Objects
            .GroupBy(o => (o.ApiVersion, o.Kind, o.Name))
            .Where(g => g.Count() > 1)
            .Select(g => $"{g.Key.Kind}/{g.Key.Name}")
            .ToList();
        Assert.True(duplicates.Count == 0, $"{overlay}: duplicate objects: {string.Join(", ", duplicates)}");
    }
}
