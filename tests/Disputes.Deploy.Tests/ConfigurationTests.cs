using Disputes.Deploy.Tests.Infrastructure;

namespace Disputes.Deploy.Tests;

/// <summary>
/// What the manifests set is what the processes read: every environment variable maps to a key of the
/// process's appsettings.json (or is a standard OTEL_/ASPNETCORE_/DOTNET_ variable), and every required
/// key (empty-string default) is set in every overlay.
/// </summary>
public sealed class ConfigurationTests
{
    [Theory]
    [MemberData(nameof(TestData.OverlaysAndProcesses), MemberType = typeof(TestData))]
    public void Every_environment_variable_is_a_setting_the_process_reads(string overlay, string process)
    {
        var rendered = RenderedOverlay.Get(overlay);
        var settings = Processes.Named(process).Settings;
        var problems = new List<string>();
        foreach (var container in PolicyTests.DeploymentOf(overlay, process).AllContainers)
        {
            var names = EnvVar.Of(container).Select(e => e.Name).ToList();
            foreach (var source in container.Items("envFrom"))
            {
                var configMap = source.Str("configMapRef", "name");
                var map = configMap is null ? null : rendered.Find("ConfigMap", configMap);
                if (map is null)
                {
                    problems.Add($"envFrom {configMap ?? source.Str("secretRef", "name")}: its keys cannot be checked; set variables one by one");
                    continue;
                }

                var prefix = source.Str("prefix") ?? string.Empty;
                names.AddRange(map.Root.Entries("data").Select(e => prefix + e.Key));
            }

            foreach (var name in names)
            {
                if (!Processes.IsStandardVariable(name) && !settings.Contains(AppSettings.KeyOf(name)))
                {
                    problems.Add($"{name} -> '{AppSettings.KeyOf(name)}' is not a key of {Processes.Named(process).AppSettingsPath}");
                }
            }
        }

        Assert.True(problems.Count == 0, $"{overlay}/{process}:{Environment.NewLine}{string.Join(Environment.NewLine, problems)}");
    }

    [Theory]
    [MemberData(nameof(TestData.OverlaysAndProcesses), MemberType = typeof(TestData))]
    public void Every_required_setting_is_set(string overlay, string process)
    {
        var settings = Processes.Named(process).Settings;
        var set = EnvVar.Of(PolicyTests.DeploymentOf(overlay, process).Containers.First())
            .Where(e => e.IsSet)
            .Select(e => AppSettings.KeyOf(e.Name))
            .ToHashSet(StringComparer.OrdinalIgnoreCase);
        var problems = new List<string>();
        var grouped = AppSettings.AlternativeGroups.SelectMany(g => g).ToHashSet(StringComparer.OrdinalIgnoreCase);
        foreach (var key in settings.EmptyDefaultKeys.Where(k => !grouped.Contains(k)))
        {
            if (!set.Contains(key))
            {
                problems.Add($"{key} (empty by default) is not set");
            }
        }

        foreach (var group in AppSettings.AlternativeGroups.Where(g => g.Any(settings.Contains)))
        {
            if (!group.Any(set.Contains))
            {
                problems.Add($"none of {string.Join(" / ", group)} is set");
            }
        }

        Assert.True(problems.Count == 0, $"{overlay}/{process}:{Environment.NewLine}{string.Join(Environment.NewLine, problems)}");
    }

    [Theory]
    [MemberData(nameof(TestData.OverlaysAndProcesses), MemberType = typeof(TestData))]
    public void No_environment_variable_is_set_twice(string overlay, string process)
    {
        var duplicates = EnvVar.Of(PolicyTests.DeploymentOf(overlay, process).Containers.First())
            .GroupBy(e => AppSettings.KeyOf(e.Name), StringComparer.OrdinalIgnoreCase)
            .Where(g => g.Count() > 1)
            .Select(g => g.Key)
            .ToList();
        Assert.True(duplicates.Count == 0, $"{overlay}/{process}: set more than once: {string.Join(", ", duplicates)}");
    }

    [Theory]
    [MemberData(nameof(TestData.OverlaysAndProcesses), MemberType = typeof(TestData))]
    public void Kestrel_binds_all_interfaces_on_the_process_ports(string overlay, string process)
    {
        var rendered = RenderedOverlay.Get(overlay);
        var deployment = PolicyTests.DeploymentOf(overlay, process);
        var container = deployment.Containers.First();
        var env = EnvVar.Of(container).ToDictionary(e => e.Name, StringComparer.Ordinal);
        var service = rendered.Find("Service", process);
        Assert.True(service is not null, $"{overlay}: no Service named {process}.");

        foreach (var (endpoint, portName, port) in new[]
                 {
                     ("Grpc", "grpc", PolicyTests.GrpcPortOf(process)),
                     ("Http", "http", PolicyTests.HttpPortOf(process)),
                 })
        {
            var variable = $"Kestrel__Endpoints__{endpoint}__Url";
            Assert.True(env.TryGetValue(variable, out var url), $"{overlay}/{process}: {variable} is not set (the default binds 127.0.0.1 only).");
            Assert.Equal($"http://0.0.0.0:{port}", url.Value);
            Assert.Equal(port, PolicyTests.ResolveContainerPort(container, portName));
            var servicePort = service.Spec.Items("ports").SingleOrDefault(p => p.Str("name") == portName);
            Assert.True(servicePort is not null, $"{overlay}: Service {process} has no port named {portName}.");
            Assert.Equal(port.ToString(System.Globalization.CultureInfo.InvariantCulture), servicePort.Str("port"));
            Assert.Equal(port, PolicyTests.ResolveContainerPort(container, servicePort.Str("targetPort")));
        }

        var selector = service.Spec.StringMap("selector");
        Assert.True(
            selector.Count > 0 && selector.All(l => deployment.PodLabels.GetValueOrDefault(l.Key) == l.Value),
            $"{overlay}: Service {process} does not select the {process} pods.");
    }

    [Theory]
    [MemberData(nameof(TestData.OverlaysAndServices), MemberType = typeof(TestData))]
    public void Services_use_the_dapr_event_bus(string overlay, string service)
    {
        var rendered = RenderedOverlay.Get(overlay);
        var deployment = PolicyTests.DeploymentOf(overlay, service);
        var env = EnvVar.Of(deployment.Containers.First()).ToDictionary(e => e.Name, e => e.Value, StringComparer.Ordinal);
        Assert.Equal("Dapr", env.GetValueOrDefault("EventBus__Transport"));
        var appId = env.GetValueOrDefault("EventBus__AppId") ?? Processes.Named(service).Settings["EventBus:AppId"];
        Assert.Equal(deployment.PodAnnotations.GetValueOrDefault("dapr.io/app-id"), appId);
        var pubsubName = env.GetValueOrDefault("EventBus__PubSubName") ?? Processes.Named(service).Settings["EventBus:PubSubName"];
        var component = rendered.OfKind("Component").SingleOrDefault(c => c.Name == pubsubName);
        Assert.True(component is not null, $"{overlay}/{service}: EventBus:PubSubName '{pubsubName}' is not a Dapr Component of the overlay.");
        Assert.StartsWith("pubsub.", component.Spec.Str("type"), StringComparison.Ordinal);
        var scopes = component.Root.Items("scopes").Select(s => s.Str()).ToList();
        Assert.True(scopes.Count == 0 || scopes.Contains(appId), $"{overlay}: component {pubsubName} is not scoped to {appId}.");
    }

    [Theory]
    [MemberData(nameof(TestData.Overlays), MemberType = typeof(TestData))]
    public void Gateway_routes_every_cluster_to_its_service(string overlay)
    {
        var rendered = RenderedOverlay.Get(overlay);
        var gateway = Processes.Named("gateway").Settings;
        var env = EnvVar.Of(PolicyTests.DeploymentOf(overlay, "gateway").Containers.First())
            .ToDictionary(e => AppSettings.KeyOf(e.Name), e => e.Value, StringComparer.OrdinalIgnoreCase);
        var destinations = gateway.Values.Keys
            .Where(k => k.StartsWith("ReverseProxy:Clusters:", StringComparison.OrdinalIgnoreCase) && k.EndsWith(":Address", StringComparison.OrdinalIgnoreCase))
            .ToList();
        Assert.NotEmpty(destinations);
        foreach (var key in destinations)
        {
            // "{service}" clusters carry gRPC; "{service}-http" clusters carry REST/JSON to the HTTP/1.1 port.
            var cluster = key.Split(':')[2];
            var rest = cluster.EndsWith("-http", StringComparison.Ordinal);
            var process = rest ? cluster[..^"-http".Length] : cluster;
            Assert.True(env.TryGetValue(key, out var address) && address is not null, $"{overlay}: the gateway's {key} is not set (the default is a loopback address).");
            var (host, port) = Urls.HostAndPort(address);
            var service = rendered.Find("Service", host);
            Assert.True(service is not null, $"{overlay}: {key} = {address} names no Service of the overlay.");
            var target = PolicyTests.DeploymentOf(overlay, process);
            Assert.Equal(process, service.Spec.Str("selector", Labels.Name));
            var servicePort = service.Spec.Items("ports").SingleOrDefault(p => p.Str("port") == port.ToString(System.Globalization.CultureInfo.InvariantCulture));
            Assert.True(servicePort is not null, $"{overlay}: Service {host} has no port {port}.");
            Assert.Equal(rest ? PolicyTests.HttpPortOf(process) : PolicyTests.GrpcPortOf(process), PolicyTests.ResolveContainerPort(target.Containers.First(), servicePort.Str("targetPort")));
        }
    }

    [Theory]
    [MemberData(nameof(TestData.OverlaysAndProcesses), MemberType = typeof(TestData))]
    public void Spans_are_named_after_the_process(string overlay, string process)
    {
        var env = EnvVar.Of(PolicyTests.DeploymentOf(overlay, process).Containers.First()).ToDictionary(e => e.Name, e => e.Value, StringComparer.Ordinal);
        Assert.Equal(process, env.GetValueOrDefault("OTEL_SERVICE_NAME"));
        Assert.False(string.IsNullOrEmpty(env.GetValueOrDefault("OTEL_EXPORTER_OTLP_ENDPOINT")), $"{overlay}/{process}: OTEL_EXPORTER_OTLP_ENDPOINT is not set.");
    }
}
