using System.Collections.Concurrent;
using YamlDotNet.RepresentationModel;

namespace Disputes.Deploy.Tests.Infrastructure;

/// <summary>The output of <c>kubectl kustomize deploy/k8s/overlays/NAME</c>, rendered once per test run.</summary>
public sealed class RenderedOverlay
{
    private static readonly ConcurrentDictionary<string, Lazy<RenderedOverlay>> Cache = new(StringComparer.Ordinal);

    private RenderedOverlay(string name, string yaml, IReadOnlyList<K8sObject> objects)
    {
        Name = name;
        Yaml = yaml;
        Objects = objects;
    }

    public string Name { get; }

    public string Yaml { get; }

    public IReadOnlyList<K8sObject> Objects { get; }

    public static RenderedOverlay Get(string overlay) =>
        Cache.GetOrAdd(overlay, o => new Lazy<RenderedOverlay>(() => Render(o))).Value;

    public IEnumerable<K8sObject> OfKind(string kind) => Objects.Where(o => o.Kind == kind);

    public K8sObject? Find(string kind, string name) => Objects.FirstOrDefault(o => o.Kind == kind && o.Name == name);

    public IEnumerable<K8sObject> Workloads => Objects.Where(o => o.IsWorkload);

    /// <summary>The Deployment whose pods carry app.kubernetes.io/name = <paramref name="process"/>.</summary>
    public K8sObject? DeploymentOf(string process) =>
        OfKind("Deployment").SingleOrDefault(d => d.PodLabels.TryGetValue(Labels.Name, out var n) && n == process);

    private static RenderedOverlay Render(string overlay)
    {
        var directory = Path.Combine(Repo.OverlaysDirectory, overlay);
        Assert.True(Directory.Exists(directory), $"Overlay directory {directory} does not exist.");
        var kubectl = Tool.Kubectl();
        var result = Tool.Run(kubectl, ["kustomize", directory], Repo.Root, TimeSpan.FromMinutes(2));
        Assert.True(result.ExitCode == 0, $"`kubectl kustomize {directory}` failed: {result.Describe()}");

        var stream = new YamlStream();
        stream.Load(new StringReader(result.StandardOutput));
        var objects = new List<K8sObject>();
        foreach (var document in stream.Documents)
        {
            if (document.RootNode is YamlMappingNode mapping)
            {
                objects.Add(new K8sObject(mapping));
            }
            else if (document.RootNode is not YamlScalarNode { Value: null or "" })
            {
                Assert.Fail($"Overlay {overlay} rendered a document that is not a mapping: {document.RootNode}");
            }
        }

        return new RenderedOverlay(overlay, result.StandardOutput, objects);
    }
}
