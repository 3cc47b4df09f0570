using YamlDotNet.RepresentationModel;

namespace Disputes.Deploy.Tests.Infrastructure;

/// <summary>Evaluates a Kubernetes label selector (matchLabels and matchExpressions).</summary>
public static class LabelSelector
{
    /// <summary>True when <paramref name="selector"/> selects <paramref name="labels"/>. An empty selector selects everything.</summary>
    public static bool Matches(YamlNode? selector, IReadOnlyDictionary<string, string> labels)
    {
        foreach (var (key, value) in selector.StringMap("matchLabels"))
        {
            if (!labels.TryGetValue(key, out var actual) || actual != value)
            {
                return false;
            }
        }

        foreach (var expression in selector.Items("matchExpressions"))
        {
            var key = expression.Str("key") ?? string.Empty;
            var values = expression.Items("values").Select(v => (v as YamlScalarNode)?.Value).ToHashSet(StringComparer.Ordinal);
            var has = labels.TryGetValue(key, out var actual);
            var ok = expression.Str("operator") switch
            {
                "In" => has && values.Contains(actual),
                "NotIn" => !has || !values.Contains(actual),
                "Exists" => has,
                "DoesNotExist" => !has,
                var op => throw new InvalidOperationException($"Unknown label selector operator '{op}'."),
            };
            if (!ok)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>True when the selector has neither matchLabels nor matchExpressions.</summary>
    public static bool IsEmpty(YamlNode? selector) =>
        !selector.Entries("matchLabels").Any() && !selector.Items("matchExpressions").Any();
}
