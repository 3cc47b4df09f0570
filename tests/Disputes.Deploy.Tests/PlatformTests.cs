using Disputes.Deploy.Tests.Infrastructure;
using YamlDotNet.RepresentationModel;

namespace Disputes.Deploy.Tests;

/// <summary>
/// What a platform team running the suite at scale relies on: autoscaling on the application
/// container's CPU, no service-account token where nothing uses one, and trace sampling that keeps
/// every dispute while sampling the rest below 100 % in prod.
/// </summary>
public sealed class PlatformTests
{
    [Theory]
    [MemberData(nameof(TestData.OverlaysAndProcesses), MemberType = typeof(TestData))]
    public void Autoscaling_follows_the_application_containers_cpu_not_the_sidecars(string overlay, string process)
    {
        var rendered = RenderedOverlay.Get(overlay);
        var deployment = PolicyTests.DeploymentOf(overlay, process);
        var hpa = rendered.OfKind("HorizontalPodAutoscaler").Single(h => h.Spec.Str("scaleTargetRef", "name") == deployment.Name);
        var metrics = hpa.Spec.Items("metrics").ToList();
        Assert.NotEmpty(metrics);
        var application = deployment.Containers.First().Str("name");
        foreach (var metric in metrics)
        {
            Assert.Equal("ContainerResource", metric.Str("type"));
            Assert.Equal("cpu", metric.Str("containerResource", "name"));
            Assert.Equal(application, metric.Str("containerResource", "container"));
            Assert.Equal("Utilization", metric.Str("containerResource", "target", "type"));
        }
    }

    [Theory]
    [MemberData(nameof(TestData.Overlays), MemberType = typeof(TestData))]
    public void No_pod_mounts_a_service_account_token(string overlay)
    {
        var rendered = RenderedOverlay.Get(overlay);
        foreach (var workload in rendered.Workloads)
        {
            Assert.True(workload.PodSpec.Str("automountServiceAccountToken") == "false", $"{overlay}/{workload}: the pod mounts a service-account token.");
            var account = workload.PodSpec.Str("serviceAccountName");
            var serviceAccount = rendered.Find("ServiceAccount", account ?? "");
            Assert.True(serviceAccount is not null, $"{overlay}/{workload}: service account {account} is not part of the overlay.");
            Assert.True(serviceAccount.Root.Str("automountServiceAccountToken") == "false", $"{overlay}/ServiceAccount/{account} mounts its token by default.");
        }
    }

    [Theory]
    [MemberData(nameof(TestData.Overlays), MemberType = typeof(TestData))]
    public void The_collector_keeps_every_trace_of_a_dispute_and_samples_the_rest(string overlay)
    {
        var rendered = RenderedOverlay.Get(overlay);
        var collector = rendered.Find("Deployment", "otel-collector");
        Assert.NotNull(collector);
        var container = collector.Containers.Single();
        Assert.StartsWith("otel/opentelemetry-collector-contrib:", container.Str("image"), StringComparison.Ordinal);
        var config = Config(rendered);
        var traces = config.Get("service", "pipelines", "traces");
        var processors = traces.Items("processors").Select(p => p.Str()).ToList();
        Assert.Contains("tail_sampling", processors);
        Assert.True(processors.IndexOf("tail_sampling") < processors.IndexOf("batch"), "tail_sampling must come before batch.");
        var policies = config.Items("processors", "tail_sampling", "policies").ToList();
        Assert.Contains(policies, p => p.Str("type") == "ottl_condition"
            && p.Items("ottl_condition", "span").Any(c => c.Str()!.Contains("attributes[\"dispute.id\"] != nil", StringComparison.Ordinal)));
        Assert.Contains(policies, p => p.Str("type") == "status_code" && p.Items("status_code", "status_codes").Any(c => c.Str() == "ERROR"));
        var others = policies.Single(p => p.Str("type") == "probabilistic").Str("probabilistic", "sampling_percentage");
        Assert.Equal("${env:OTHER_TRACES_PERCENT}", others);

        var percent = double.Parse(EnvVar.Of(container).Single(e => e.Name == "OTHER_TRACES_PERCENT").Value!, System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(percent, 0, 100);
        if (overlay.StartsWith("prod", StringComparison.Ordinal))
            Assert.True(percent < 100, $"{overlay}: traces without a dispute are all kept ({percent} %).");

        // Tail sampling decides on a whole trace: with two collectors behind one Service a trace's spans
        // would split between them and a dispute's span could be judged apart from the rest of its trace.
        Assert.Equal("1", collector.Spec.Str("replicas"));
        Assert.DoesNotContain(rendered.OfKind("HorizontalPodAutoscaler"), h => h.Spec.Str("scaleTargetRef", "name") == collector.Name);
    }

    [Theory]
    [MemberData(nameof(TestData.OverlaysAndProcesses), MemberType = typeof(TestData))]
    public void Processes_sample_parent_based_so_a_disputes_trace_reaches_the_collector_whole(string overlay, string process)
    {
        var env = EnvVar.Of(PolicyTests.DeploymentOf(overlay, process).Containers.First()).ToDictionary(e => e.Name, e => e.Value, StringComparer.Ordinal);
        if (overlay.StartsWith("prod", StringComparison.Ordinal))
            Assert.Equal("parentbased_always_on", env.GetValueOrDefault("OTEL_TRACES_SAMPLER"));
        else
            Assert.True(env.GetValueOrDefault("OTEL_TRACES_SAMPLER") is null or "parentbased_always_on", $"{overlay}/{process}: head sampling would lose disputes' traces.");
        Assert.False(env.ContainsKey("OTEL_TRACES_SAMPLER_ARG"), $"{overlay}/{process}: a head-sampling ratio would drop disputes' traces before the collector sees them.");
    }

    [Theory]
    [MemberData(nameof(TestData.Overlays), MemberType = typeof(TestData))]
    public void Dapr_sidecars_sample_below_100_percent_in_prod(string overlay)
    {
        var configuration = RenderedOverlay.Get(overlay).Find("Configuration", "disputes");
        Assert.NotNull(configuration);
        var rate = double.Parse(configuration.Spec.Str("tracing", "samplingRate")!, System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(rate, 0, 1);
        if (overlay.StartsWith("prod", StringComparison.Ordinal))
            Assert.True(rate < 1, $"{overlay}: the sidecars sample every trace they start.");
    }

    private static YamlNode Config(RenderedOverlay rendered)
    {
        var map = rendered.OfKind("ConfigMap").Single(c => c.Name.StartsWith("otel-collector-config", StringComparison.Ordinal));
        var stream = new YamlStream();
        stream.Load(new StringReader(map.Root.Str("data", "config.yaml")!));
        return stream.Documents[0].RootNode;
    }
}
