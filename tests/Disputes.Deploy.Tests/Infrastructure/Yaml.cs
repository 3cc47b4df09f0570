using YamlDotNet.RepresentationModel;

namespace Disputes.Deploy.Tests.Infrastructure;

/// <summary>Null-tolerant navigation over YamlDotNet's representation model.</summary>
public static class Yaml
{
    public static YamlNode? Get(this YamlNode? node, params string[] path)
    {
        var current = node;
        foreach (var key in path)
        {
            if (current is not YamlMappingNode mapping)
            {
                return null;
            }

            current = mapping.Children.TryGetValue(new YamlScalarNode(key), out var child) ? child : null;
        }

        return current;
    }

    public static string? Str(this YamlNode? node, params string[] path) =>
        node.Get(path) is YamlScalarNode scalar ? scalar.Value : null;

    public static IEnumerable<YamlNode> Items(this YamlNode? node, params string[] path) =>
        node.Get(path) is YamlSequenceNode sequence ? sequence.Children : [];

    public static IEnumerable<KeyValuePair<string, YamlNode>> Entries(this YamlNode? node, params string[] path) =>
        node.Get(path) is YamlMappingNode mapping
            ? mapping.Children.Select(c => new KeyValuePair<string, YamlNode>(((YamlScalarNode)c.Key).Value ?? string.Empty, c.Value))
            : [];

    public static IReadOnlyDictionary<string, string> StringMap(this YamlNode? node, params string[] path) =>
        node.Entries(path).ToDictionary(e => e.Key, e => (e.Value as YamlScalarNode)?.Value ?? string.Empty, StringComparer.Ordinal);

    public static bool IsTrue(this YamlNode? node, params string[] path) =>
        string.Equals(node.Str(path), "true", StringComparison.Ordinal);
}
