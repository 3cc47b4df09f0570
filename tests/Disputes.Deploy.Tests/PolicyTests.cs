using System.Text.RegularExpressions;
using Disputes.Deploy.Tests.Infrastructure;
using YamlDotNet.RepresentationModel;

namespace Disputes.Deploy.Tests;

/// <summary>Workload policies: probes, resources, security context, Dapr annotations, pinned images, labels.</summary>
public sealed partial class PolicyTests
{
    [Theory]
    [MemberData(nameof(TestData.Overlays), MemberType = typeof(TestData))]
    public void Every_workload_container_has_liveness_and_readiness_probes(string overlay)
    {
        var problems = new List<string>();
        foreach (var workload in RenderedOverlay.Get(overlay).Workloads)
        {
            foreach (var container in workload.Containers)
            {
                foreach (var probe in new[] { "livenessProbe", "readinessProbe" })
                {
                    var p = container.Get(probe);
                    if (p is null || (p.Get("httpGet") ?? p.Get("tcpSocket") ?? p.Get("exec") ?? p.Get("grpc")) is null)
                    {
                        problems.Add($"{workload}/{container.Str("name")}: no {probe}");
                    }
                }
            }
        }

        Assert.True(problems.Count == 0, $"{overlay}:{Environment.NewLine}{string.Join(Environment.NewLine, problems)}");
    }

    [Theory]
    [MemberData(nameof(TestData.Overlays), MemberType = typeof(TestData))]
    public void Every_workload_container_has_cpu_and_memory_requests_and_limits(string overlay)
    {
        var problems = new List<string>();
        foreach (var workload in RenderedOverlay.Get(overlay).Workloads)
        {
            foreach (var container in workload.AllContainers)
            {
                foreach (var kind in new[] { "requests", "limits" })
                {
                    foreach (var resource in new[] { "cpu", "memory" })
                    {
                        if (string.IsNullOrEmpty(container.Str("resources", kind, resource)))
                        {
                            problems.Add($"{workload}/{container.Str("name")}: no resources.{kind}.{resource}");
                        }
                    }
                }
            }
        }

        Assert.True(problems.Count == 0, $"{overlay}:{Environment.NewLine}{string.Join(Environment.NewLine, problems)}");
    }

    [Theory]
    [MemberData(nameof(TestData.Overlays), MemberType = typeof(TestData))]
    public void Every_workload_container_runs_non_root_read_only_without_privileges(string overlay)
    {
        var problems = new List<string>();
        foreach (var workload in RenderedOverlay.Get(overlay).Workloads)
        {
            var pod = workload.PodSpec;
            if (pod.Str("securityContext", "seccompProfile", "type") is not ("RuntimeDefault" or "Localhost"))
            {
                problems.Add($"{workload}: pod securityContext.seccompProfile.type is not RuntimeDefault");
            }

            foreach (var container in workload.AllContainers)
            {
                var name = $"{workload}/{container.Str("name")}";
                var nonRoot = container.Str("securityContext", "runAsNonRoot") ?? pod.Str("securityContext", "runAsNonRoot");
                if (nonRoot != "true")
                {
                    problems.Add($"{name}: runAsNonRoot is not true");
                }

                if (container.Str("securityContext", "runAsUser") == "0" || pod.Str("securityContext", "runAsUser") == "0")
                {
                    problems.Add($"{name}: runAsUser is 0");
                }

                if (!container.IsTrue("securityContext", "readOnlyRootFilesystem"))
                {
                    problems.Add($"{name}: readOnlyRootFilesystem is not true");
                }

                if (container.Str("securityContext", "allowPrivilegeEscalation") != "false")
                {
                    problems.Add($"{name}: allowPrivilegeEscalation is not false");
                }

                if (container.IsTrue("securityContext", "privileged"))
                {
                    problems.Add($"{name}: privileged");
                }

                var drop = container.Items("securityContext", "capabilities", "drop").Select(d => (d as YamlScalarNode)?.Value).ToList();
                if (!drop.Contains("ALL"))
                {
                    problems.Add($"{name}: capabilities.drop does not contain ALL");
                }

                if (container.Items("securityContext", "capabilities", "add").Any())
                {
                    problems.Add($"{name}: adds capabilities");
                }
            }
        }

        Assert.True(problems.Count == 0, $"{overlay}:{Environment.NewLine}{string.Join(Environment.NewLine, problems)}");
    }

    [Theory]
    [MemberData(nameof(TestData.OverlaysAndProcesses), MemberType = typeof(TestData))]
    public void Dotnet_processes_get_a_writable_tmp(string overlay, string process)
    {
        var deployment = DeploymentOf(overlay, process);
        var container = deployment.Containers.First();
        var mount = container.Items("volumeMounts").FirstOrDefault(m => m.Str("mountPath") == "/tmp");
        Assert.True(mount is not null, $"{overlay}/{process}: no volume mounted at /tmp (the root filesystem is read-only).");
        var volume = deployment.PodSpec.Items("volumes").FirstOrDefault(v => v.Str("name") == mount.Str("name"));
        Assert.True(volume?.Get("emptyDir") is not null, $"{overlay}/{process}: /tmp is not an emptyDir volume.");
    }

    /// <summary>
    /// The gRPC health names each process answers (building-blocks' GrpcHealthNames, the gateway's
    /// health service): "liveness" is the process alone; readiness is "readiness" on a service and ""
    /// on the gateway (its own status; each backend has its own name there). The end-to-end
    /// GatewayGrpcTests ask a real process for the names these manifests use.
    /// </summary>
    internal static (string Liveness, string Readiness) ProbedHealthNames(string process) =>
        process == "gateway" ? ("liveness", "") : ("liveness", "readiness");

    [Theory]
    [MemberData(nameof(TestData.OverlaysAndProcesses), MemberType = typeof(TestData))]
    public void Processes_are_probed_over_gRPC_health_on_their_gRPC_port_by_the_names_they_serve(string overlay, string process)
    {
        var container = DeploymentOf(overlay, process).Containers.First();
        var grpcPort = GrpcPortOf(process);
        var (liveness, readiness) = ProbedHealthNames(process);
        foreach (var (probe, service) in new[] { ("startupProbe", liveness), ("livenessProbe", liveness), ("readinessProbe", readiness) })
        {
            var handler = container.Get(probe);
            Assert.True(handler is not null, $"{overlay}/{process}: no {probe}.");
            Assert.True(handler.Get("grpc") is not null && handler.Get("httpGet") is null && handler.Get("tcpSocket") is null && handler.Get("exec") is null,
                $"{overlay}/{process}: {probe} is not a grpc probe (grpc.health.v1 on the gRPC port).");
            var port = container.Str(probe, "grpc", "port");
            Assert.True(port is not null && int.Parse(port, System.Globalization.CultureInfo.InvariantCulture) == grpcPort,
                $"{overlay}/{process}: {probe} asks port {port}, not the gRPC port {grpcPort}.");
            Assert.True(EnvVar.Of(container).Any(e => e.Name == "Kestrel__Endpoints__Grpc__Url" && Urls.HostAndPort(e.Value ?? string.Empty).Port == grpcPort),
                $"{overlay}/{process}: the process does not listen for gRPC on {grpcPort}.");
            var named = container.Str(probe, "grpc", "service") ?? string.Empty;
            Assert.True(named == service,
                $"{overlay}/{process}: {probe} asks for the health of '{named}'; the process answers '{service}' for it.");
        }

        // Liveness must not hang on a dependency: Redis down makes a pod unready, never restarted.
        Assert.NotEqual(container.Str("livenessProbe", "grpc", "service") ?? string.Empty, container.Str("readinessProbe", "grpc", "service") ?? string.Empty);
    }

    [Theory]
    [MemberData(nameof(TestData.OverlaysAndServices), MemberType = typeof(TestData))]
    public void Services_have_dapr_annotations(string overlay, string service)
    {
        var rendered = RenderedOverlay.Get(overlay);
        var annotations = DeploymentOf(overlay, service).PodAnnotations;
        string Annotation(string key) => annotations.TryGetValue(key, out var v) ? v : string.Empty;

        Assert.Equal("true", Annotation("dapr.io/enabled"));
        Assert.Equal(service, Annotation("dapr.io/app-id"));
        Assert.Equal(HttpPortOf(service).ToString(System.Globalization.CultureInfo.InvariantCulture), Annotation("dapr.io/app-port"));
        Assert.Equal("http", Annotation("dapr.io/app-protocol"));
        // Without it any pod the NetworkPolicies admit could post events to the subscription routes.
        Assert.Equal("dapr-app-token", Annotation("dapr.io/app-token-secret"));
        var config = Annotation("dapr.io/config");
        Assert.True(
            rendered.OfKind("Configuration").Any(c => c.ApiVersion.StartsWith("dapr.io/", StringComparison.Ordinal) && c.Name == config),
            $"{overlay}/{service}: dapr.io/config names '{config}', which is not a Dapr Configuration in the overlay.");
    }

    [Theory]
    [MemberData(nameof(TestData.Overlays), MemberType = typeof(TestData))]
    public void Every_image_is_pinned_to_a_tag_that_is_not_latest(string overlay)
    {
        var problems = new List<string>();
        foreach (var workload in RenderedOverlay.Get(overlay).Workloads)
        {
            foreach (var container in workload.AllContainers)
            {
                var image = container.Str("image") ?? string.Empty;
                if (!IsPinned(image))
                {
                    problems.Add($"{workload}/{container.Str("name")}: image '{image}' is not pinned to a version tag");
                }
            }
        }

        Assert.True(problems.Count == 0, $"{overlay}:{Environment.NewLine}{string.Join(Environment.NewLine, problems)}");
    }

    [Theory]
    [InlineData("registry.example.org/disputes/challenge:0.1.0", true)]
    [InlineData("redis:7.4.2-alpine", true)]
    [InlineData("localhost:5000/disputes/gateway:1.2.3", true)]
    [InlineData("registry.example.org/disputes/challenge:1.0.0@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", true)]
    [InlineData("registry.example.org/disputes/challenge", false)]
    [InlineData("localhost:5000/disputes/gateway", false)]
    [InlineData("redis:latest", false)]
    [InlineData("redis:LATEST", false)]
    [InlineData("", false)]
    public void Image_pinning_rule(string image, bool pinned) => Assert.Equal(pinned, IsPinned(image));

    [Theory]
    [MemberData(nameof(TestData.Overlays), MemberType = typeof(TestData))]
    public void Every_deployment_has_its_service_account_and_disruption_budget(string overlay)
    {
        var rendered = RenderedOverlay.Get(overlay);
        var problems = new List<string>();
        foreach (var deployment in rendered.OfKind("Deployment"))
        {
            var account = deployment.PodSpec.Str("serviceAccountName");
            if (string.IsNullOrEmpty(account) || rendered.Find("ServiceAccount", account) is null)
            {
                problems.Add($"{deployment}: serviceAccountName '{account}' is not a ServiceAccount of the overlay");
            }

            var budgets = rendered.OfKind("PodDisruptionBudget").Where(p => LabelSelector.Matches(p.Spec.Get("selector"), deployment.PodLabels)).ToList();
            if (budgets.Count != 1)
            {
                problems.Add($"{deployment}: {budgets.Count} PodDisruptionBudgets select its pods (expected 1)");
            }
        }

        Assert.True(problems.Count == 0, $"{overlay}:{Environment.NewLine}{string.Join(Environment.NewLine, problems)}");
    }

    [Theory]
    [MemberData(nameof(TestData.OverlaysAndProcesses), MemberType = typeof(TestData))]
    public void Processes_scale_with_a_horizontal_pod_autoscaler(string overlay, string process)
    {
        var rendered = RenderedOverlay.Get(overlay);
        var deployment = DeploymentOf(overlay, process);
        var hpa = rendered.OfKind("HorizontalPodAutoscaler").SingleOrDefault(h =>
            h.Spec.Str("scaleTargetRef", "kind") == "Deployment" && h.Spec.Str("scaleTargetRef", "name") == deployment.Name);
        Assert.True(hpa is not null, $"{overlay}/{process}: no HorizontalPodAutoscaler targets Deployment {deployment.Name}.");
        var min = int.Parse(hpa.Spec.Str("minReplicas") ?? "1", System.Globalization.CultureInfo.InvariantCulture);
        var max = int.Parse(hpa.Spec.Str("maxReplicas") ?? "0", System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(min >= 1 && max >= min, $"{overlay}/{process}: minReplicas {min}, maxReplicas {max}.");
        Assert.True(
            deployment.Spec.Get("replicas") is null,
            $"{overlay}/{process}: the Deployment sets replicas, which fights the autoscaler on every apply.");
    }

    [Theory]
    [MemberData(nameof(TestData.Overlays), MemberType = typeof(TestData))]
    public void Objects_carry_the_recommended_labels(string overlay)
    {
        var problems = new List<string>();
        foreach (var o in RenderedOverlay.Get(overlay).Objects)
        {
            var required = o.Kind == "Namespace"
                ? new[] { Labels.Instance }
                : new[] { Labels.Name, Labels.Component, Labels.PartOf, Labels.ManagedBy, Labels.Instance };
            problems.AddRange(required.Where(l => !o.Labels.ContainsKey(l)).Select(l => $"{o}: no label {l}"));
            if (o.IsWorkload)
            {
                problems.AddRange(new[] { Labels.Name, Labels.Component, Labels.PartOf, Labels.Instance }
                    .Where(l => !o.PodLabels.ContainsKey(l))
                    .Select(l => $"{o}: pod template has no label {l}"));
            }
        }

        Assert.True(problems.Count == 0, $"{overlay}:{Environment.NewLine}{string.Join(Environment.NewLine, problems)}");
    }

    [Theory]
    [MemberData(nameof(TestData.Overlays), MemberType = typeof(TestData))]
    public void Ingress_terminates_tls_and_speaks_grpc_or_rest_to_the_gateway(string overlay)
    {
        var rendered = RenderedOverlay.Get(overlay);
        var protocols = new HashSet<string>(StringComparer.Ordinal);
        foreach (var ingress in rendered.OfKind("Ingress"))
        {
            // The backend protocol applies to a whole Ingress: gRPC to the gRPC port, REST/JSON (HTTP/1.1) to the HTTP port.
            var protocol = ingress.Annotations.GetValueOrDefault("nginx.ingress.kubernetes.io/backend-protocol");
            var (portName, portNumber) = protocol switch
            {
                "GRPC" => ("grpc", "8080"),
                "HTTP" => ("http", "8081"),
                _ => (null as string, null as string),
            };
            Assert.True(portName is not null, $"{overlay}/{ingress}: backend protocol '{protocol}' is neither GRPC nor HTTP.");
            protocols.Add(protocol!);
            var tlsHosts = ingress.Spec.Items("tls")
                .Where(t => !string.IsNullOrEmpty(t.Str("secretName")))
                .SelectMany(t => t.Items("hosts"))
                .Select(h => (h as YamlScalarNode)?.Value)
                .ToHashSet(StringComparer.Ordinal);
            foreach (var rule in ingress.Spec.Items("rules"))
            {
                var host = rule.Str("host");
                Assert.True(host is not null && tlsHosts.Contains(host), $"{overlay}/{ingress}: host '{host}' has no TLS certificate.");
                foreach (var path in rule.Items("http", "paths"))
                {
                    Assert.Equal("gateway", path.Str("backend", "service", "name"));
                    var port = path.Str("backend", "service", "port", "name") ?? path.Str("backend", "service", "port", "number");
                    Assert.True(port == portName || port == portNumber, $"{overlay}/{ingress}: a {protocol} backend on port {port}, not the gateway's {portName} port.");
                    if (protocol == "HTTP")
                        Assert.True(path.Str("path") is { } p && p.StartsWith("/v1", StringComparison.Ordinal), $"{overlay}/{ingress}: REST publishes {path.Str("path")}, not only the API's /v1 paths.");
                }
            }
        }

        Assert.True(protocols.SetEquals(["GRPC", "HTTP"]), $"{overlay}: expected one gRPC and one REST/JSON Ingress to the gateway, found [{string.Join(", ", protocols)}].");
    }

    [Theory]
    [MemberData(nameof(TestData.Overlays), MemberType = typeof(TestData))]
    public void Secrets_are_referenced_never_committed_and_documented(string overlay)
    {
        var rendered = RenderedOverlay.Get(overlay);
        var committed = rendered.OfKind("Secret").Select(s => s.Name).ToList();
        Assert.True(committed.Count == 0, $"{overlay}: Secret objects are rendered ({string.Join(", ", committed)}); secrets are created out of band.");

        var referenced = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var workload in rendered.Workloads)
        {
            foreach (var container in workload.AllContainers)
            {
                referenced.UnionWith(EnvVar.Of(container).Select(e => e.SecretName).OfType<string>());
                referenced.UnionWith(container.Items("envFrom").Select(e => e.Str("secretRef", "name")).OfType<string>());
            }

            referenced.UnionWith(workload.PodSpec.Items("volumes").Select(v => v.Str("secret", "secretName")).OfType<string>());
        }

        foreach (var component in rendered.OfKind("Component"))
        {
            referenced.UnionWith(component.Spec.Items("metadata").Select(m => m.Str("secretKeyRef", "name")).OfType<string>());
        }

        foreach (var ingress in rendered.OfKind("Ingress"))
        {
            referenced.UnionWith(ingress.Spec.Items("tls").Select(t => t.Str("secretName")).OfType<string>());
        }

        Assert.NotEmpty(referenced);
        var docsPath = Repo.Combine("docs", "operations.md");
        Assert.True(File.Exists(docsPath), $"{docsPath} is missing: it lists the Secrets a namespace needs.");
        var docs = File.ReadAllText(docsPath);
        var undocumented = referenced.Where(s => !docs.Contains($"`{s}`", StringComparison.Ordinal)).ToList();
        Assert.True(undocumented.Count == 0, $"{overlay}: secrets not documented in docs/operations.md: {string.Join(", ", undocumented)}");
    }

    [Theory]
    [MemberData(nameof(TestData.Overlays), MemberType = typeof(TestData))]
    public void Telemetry_endpoints_resolve_to_the_collector(string overlay)
    {
        var rendered = RenderedOverlay.Get(overlay);
        var endpoints = new List<(string Where, string Value)>();
        foreach (var workload in rendered.Workloads)
        {
            foreach (var container in workload.Containers)
            {
                endpoints.AddRange(EnvVar.Of(container)
                    .Where(e => e.Name == "OTEL_EXPORTER_OTLP_ENDPOINT")
                    .Select(e => ($"{workload}", e.Value ?? string.Empty)));
            }
        }

        foreach (var configuration in rendered.OfKind("Configuration"))
        {
            var address = configuration.Spec.Str("tracing", "otel", "endpointAddress");
            Assert.True(address is not null, $"{overlay}: Dapr Configuration {configuration.Name} sends no traces to OTLP.");
            endpoints.Add(($"{configuration}", address));
        }

        Assert.NotEmpty(endpoints);
        foreach (var (where, value) in endpoints)
        {
            var (host, port) = Urls.HostAndPort(value);
            var service = rendered.Find("Service", host);
            Assert.True(service is not null, $"{overlay}/{where}: OTLP endpoint {value} names no Service of the overlay.");
            Assert.True(
                service.Spec.Items("ports").Any(p => p.Str("port") == port.ToString(System.Globalization.CultureInfo.InvariantCulture)),
                $"{overlay}/{where}: Service {host} has no port {port}.");
            Assert.Equal("otel-collector", service.Spec.Str("selector", Labels.Name));
        }
    }

    [Theory]
    [MemberData(nameof(TestData.Overlays), MemberType = typeof(TestData))]
    public void In_cluster_redis_persists_with_aof_on_a_volume(string overlay)
    {
        var rendered = RenderedOverlay.Get(overlay);
        var redis = rendered.Find("StatefulSet", "redis");
        var components = rendered.OfKind("Component").Where(c => c.Spec.Str("type") == "pubsub.redis").ToList();
        Assert.True(components.Count > 0, $"{overlay}: no Dapr pubsub.redis Component.");
        foreach (var pubsub in components)
        {
            var pubsubHost = pubsub.Spec.Items("metadata").FirstOrDefault(m => m.Str("name") == "redisHost")?.Str("value");
            Assert.False(string.IsNullOrEmpty(pubsubHost), $"{overlay}: {pubsub} has no redisHost.");
            if (redis is null)
                // A managed Redis: nothing in the cluster, and the component points elsewhere.
                Assert.Null(rendered.Find("Service", Urls.HostAndPort(pubsubHost).Host));
            else
                Assert.Equal(redis.Name, Urls.HostAndPort(pubsubHost).Host);
        }

        if (redis is null)
        {
            return;
        }

        Assert.NotEmpty(redis.Spec.Items("volumeClaimTemplates"));
        var container = redis.Containers.Single();
        Assert.Contains(container.Items("volumeMounts"), m => m.Str("mountPath") == "/data");
        var config = rendered.OfKind("ConfigMap").Single(c => c.Name.StartsWith("redis-config", StringComparison.Ordinal));
        var conf = config.Root.Str("data", "redis.conf") ?? string.Empty;
        Assert.Matches(AppendOnlyYes(), conf);
        Assert.Matches(NoEviction(), conf);
    }

    internal static K8sObject DeploymentOf(string overlay, string process)
    {
        var deployment = RenderedOverlay.Get(overlay).DeploymentOf(process);
        Assert.True(deployment is not null, $"{overlay}: no Deployment whose pods are labelled {Labels.Name}={process}.");
        return deployment;
    }

    internal static int HttpPortOf(string process) =>
        Urls.HostAndPort(Processes.Named(process).Settings["Kestrel:Endpoints:Http:Url"] ?? string.Empty).Port;

    internal static int GrpcPortOf(string process) =>
        Urls.HostAndPort(Processes.Named(process).Settings["Kestrel:Endpoints:Grpc:Url"] ?? string.Empty).Port;

    internal static int? ResolveContainerPort(YamlNode container, string? port)
    {
        if (port is null)
        {
            return null;
        }

        if (int.TryParse(port, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var number))
        {
            return number;
        }

        var named = container.Items("ports").FirstOrDefault(p => p.Str("name") == port)?.Str("containerPort");
        return named is null ? null : int.Parse(named, System.Globalization.CultureInfo.InvariantCulture);
    }

    internal static bool IsPinned(string image)
    {
        if (string.IsNullOrWhiteSpace(image))
        {
            return false;
        }

        var withoutDigest = image.Split('@')[0];
        var lastSegment = withoutDigest[(withoutDigest.LastIndexOf('/') + 1)..];
        var colon = lastSegment.LastIndexOf(':');
        if (colon < 0)
        {
            return false;
        }

        var tag = lastSegment[(colon + 1)..];
        return tag.Length > 0 && !string.Equals(tag, "latest", StringComparison.OrdinalIgnoreCase);
    }

    [GeneratedRegex(@"(?m)^\s*appendonly\s+yes\s*$")]
    private static partial Regex AppendOnlyYes();

    [GeneratedRegex(@"(?m)^\s*maxmemory-policy\s+noeviction\s*$")]
    private static partial Regex NoEviction();
}
