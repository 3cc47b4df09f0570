using Grpc.Health.V1;
using Grpc.Net.Client;
using YamlDotNet.RepresentationModel;
using static Grpc.Health.V1.HealthCheckResponse.Types;

namespace Disputes.EndToEndTests;

/// <summary>
/// The Kubernetes probes of deploy/k8s ask each process's gRPC health for a service name: a real
/// process must answer SERVING for every name its manifests use, on the port they name (the
/// deploy checks hold the manifests to gRPC probes; this holds the names to what the code serves).
/// </summary>
[Collection(SuiteCollection.Name)]
public sealed class ProbeHealthNamesTests(SuiteFixture suite)
{
    [Theory]
    [InlineData("challenge")]
    [InlineData("escalation")]
    [InlineData("notification")]
    [InlineData("records")]
    [InlineData("gateway")]
    public async Task Every_gRPC_probe_of_the_manifests_names_a_service_the_real_process_serves(string process)
    {
        var probes = GrpcProbesOf(process);
        Assert.Contains(probes, p => p.Probe == "readinessProbe");
        Assert.Contains(probes, p => p.Probe == "livenessProbe");

        // The suite binds the processes to free ports; the manifests' port is the process's default gRPC port.
        using var channel = GrpcChannel.ForAddress($"http://127.0.0.1:{suite.GrpcPortOf(process)}");
        var health = new Health.HealthClient(channel);
        foreach (var (probe, service) in probes)
        {
            var answer = await health.CheckAsync(new HealthCheckRequest { Service = service });
            Assert.True(answer.Status == ServingStatus.Serving, $"{process}: {probe} asks for '{service}', which answers {answer.Status}.");
        }
    }

    private static List<(string Probe, string Service)> GrpcProbesOf(string process)
    {
        var path = Path.Combine(Repository.Root(), "deploy", "k8s", "base", process, "deployment.yaml");
        var yaml = new YamlStream();
        using (var reader = File.OpenText(path))
            yaml.Load(reader);
        var root = (YamlMappingNode)yaml.Documents[0].RootNode;
        var container = (YamlMappingNode)((YamlSequenceNode)Child(Child(Child(root, "spec"), "template"), "spec")["containers"]).Children[0];
        var probes = new List<(string, string)>();
        foreach (var probe in new[] { "startupProbe", "livenessProbe", "readinessProbe" })
        {
            if (container.Children.TryGetValue(new YamlScalarNode(probe), out var handler)
                && ((YamlMappingNode)handler).Children.TryGetValue(new YamlScalarNode("grpc"), out var grpc))
            {
                var service = ((YamlMappingNode)grpc).Children.TryGetValue(new YamlScalarNode("service"), out var name)
                    ? ((YamlScalarNode)name).Value ?? string.Empty
                    : string.Empty;
                probes.Add((probe, service));
            }
        }
        return probes;
    }

    private static YamlMappingNode Child(YamlMappingNode node, string key) => (YamlMappingNode)node[key];
}
