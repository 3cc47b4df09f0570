using System.Collections.Concurrent;
using System.Text.Json;

namespace Disputes.Deploy.Tests.Infrastructure;

/// <summary>
/// A process's appsettings.json flattened to configuration keys ("Auth:SigningKey"), compared the
/// way Microsoft.Extensions.Configuration compares them: case-insensitively.
/// </summary>
public sealed class AppSettings
{
    /// <summary>Keys of which one or the other must be set: development signing key or OIDC authority.</summary>
    public static readonly IReadOnlyList<string[]> AlternativeGroups =
    [
        ["Auth:SigningKey", "Auth:Authority"],
    ];

    private static readonly ConcurrentDictionary<string, AppSettings> Cache = new(StringComparer.Ordinal);

    private AppSettings(string path, IReadOnlyDictionary<string, string?> values)
    {
        Path = path;
        Values = values;
    }

    public string Path { get; }

    /// <summary>Leaf keys and their default values (null for JSON null, raw text for numbers and booleans).</summary>
    public IReadOnlyDictionary<string, string?> Values { get; }

    public static AppSettings Load(string path) => Cache.GetOrAdd(path, p =>
    {
        Assert.True(File.Exists(p), $"{p} does not exist: every process lists the configuration it reads in its appsettings.json.");
        return Parse(p, File.ReadAllText(p));
    });

    public static AppSettings Parse(string path, string json)
    {
        using var document = JsonDocument.Parse(json, new JsonDocumentOptions
        {
            CommentHandling = JsonCommentHandling.Skip,
            AllowTrailingCommas = true,
        });
        var values = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        Flatten(document.RootElement, prefix: null, values);
        return new AppSettings(path, values);
    }

    /// <summary>Maps an environment variable name to a configuration key (A__B__C becomes A:B:C).</summary>
    public static string KeyOf(string environmentVariable) => environmentVariable.Replace("__", ":", StringComparison.Ordinal);

    public bool Contains(string key) => Values.ContainsKey(key);

    public string? this[string key] => Values.TryGetValue(key, out var value) ? value : null;

    /// <summary>Keys whose default is the empty string: required, or set per environment.</summary>
    public IEnumerable<string> EmptyDefaultKeys => Values.Where(v => v.Value == string.Empty).Select(v => v.Key);

    private static void Flatten(JsonElement element, string? prefix, Dictionary<string, string?> values)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                var any = false;
                foreach (var property in element.EnumerateObject())
                {
                    any = true;
                    Flatten(property.Value, prefix is null ? property.Name : $"{prefix}:{property.Name}", values);
                }

                if (!any && prefix is not null)
                {
                    values[prefix] = null;
                }

                break;
            case JsonValueKind.Array:
                var index = 0;
                foreach (var item in element.EnumerateArray())
                {
                    Flatten(item, $"{prefix}:{index++}", values);
                }

                break;
            case JsonValueKind.String:
                values[prefix!] = element.GetString();
                break;
            case JsonValueKind.Null:
                values[prefix!] = null;
                break;
            default:
                values[prefix!] = element.GetRawText();
                break;
        }
    }
}
