using YamlDotNet.RepresentationModel;

namespace Disputes.Deploy.Tests.Infrastructure;

/// <summary>One object of a rendered overlay.</summary>
public sealed class K8sObject(YamlMappingNode root)
{
    public YamlMappingNode Root { get; } = root;

    public string ApiVersion => Root.Str("apiVersion") ?? string.Empty;

    public string Kind => Root.Str("kind") ?? string.Empty;

    public string Name => Root.Str("metadata", "name") ?? string.Empty;

    public string? Namespace => Root.Str("metadata", "namespace");

    public IReadOnlyDictionary<string, string> Labels => Root.StringMap("metadata", "labels");

    public IReadOnlyDictionary<string, string> Annotations => Root.StringMap("metadata", "annotations");

    public YamlNode? Spec => Root.Get("spec");

    /// <summary>The pod template of a workload (Deployment, StatefulSet), or null.</summary>
    public YamlNode? PodTemplate => Root.Get("spec", "template");

    public YamlNode? PodSpec => Root.Get("spec", "template", "spec");

    public IReadOnlyDictionary<string, string> PodLabels => Root.StringMap("spec", "template", "metadata", "labels");

    public IReadOnlyDictionary<string, string> PodAnnotations => Root.StringMap("spec", "template", "metadata", "annotations");

    public IEnumerable<YamlNode> Containers => PodSpec.Items("containers");

    public IEnumerable<YamlNode> AllContainers => PodSpec.Items("initContainers").Concat(Containers);

    public bool IsWorkload => Kind is "Deployment" or "StatefulSet" or "DaemonSet";

    public override string ToString() => $"{Kind}/{Name}";
}
