using System.Text.RegularExpressions;
using Disputes.Deploy.Tests.Infrastructure;

namespace Disputes.Deploy.Tests;

/// <summary>
/// The REST/JSON Ingress publishes every REST path the API defines (the protos' google.api.http
/// rules) and the gateway routes, and the gRPC Ingress keeps every gRPC method: a new resource
/// outside the REST Ingress' paths would reach the gateway's gRPC port as HTTP/1.1 and fail.
/// </summary>
public sealed partial class RestIngressTests
{
    [Theory]
    [MemberData(nameof(TestData.Overlays), MemberType = typeof(TestData))]
    public void Every_REST_path_of_the_API_and_the_gateway_goes_to_the_REST_Ingress_and_every_gRPC_method_to_the_gRPC_one(string overlay)
    {
        var (rest, grpc) = IngressPrefixes(overlay);
        Assert.NotEmpty(rest);

        var restPaths = ProtoRestPaths().Concat(GatewayRoutePaths().Where(p => !p.StartsWith("/disputes.", StringComparison.Ordinal))).ToList();
        Assert.True(restPaths.Count > 20, $"only {restPaths.Count} REST paths found: the protos or the gateway's routes were not read");
        foreach (var path in restPaths)
            Assert.True(Longest(path, rest, grpc) == "REST", $"{overlay}: the REST path {path} is not published by the REST/JSON Ingress.");

        foreach (var path in GatewayRoutePaths().Where(p => p.StartsWith("/disputes.", StringComparison.Ordinal)).Append("/grpc.health.v1.Health/Check"))
            Assert.True(Longest(path, rest, grpc) == "GRPC", $"{overlay}: the gRPC method {path} would reach the REST/JSON Ingress.");
    }

    /// <summary>Which Ingress nginx picks for a path: the longest matching Prefix path (element-wise, as Kubernetes defines Prefix).</summary>
    private static string? Longest(string path, IReadOnlyList<string> rest, IReadOnlyList<string> grpc)
    {
        var best = rest.Select(p => (Prefix: p, Kind: "REST")).Concat(grpc.Select(p => (Prefix: p, Kind: "GRPC")))
            .Where(p => PrefixMatches(p.Prefix, path))
            .OrderByDescending(p => p.Prefix.TrimEnd('/').Length)
            .FirstOrDefault();
        return best.Kind;
    }

    private static bool PrefixMatches(string prefix, string path)
    {
        var elements = prefix.Trim('/');
        if (elements.Length == 0)
            return true;
        var trimmed = path.TrimStart('/');
        return trimmed == elements || trimmed.StartsWith(elements + "/", StringComparison.Ordinal);
    }

    private static (List<string> RestPrefixes, List<string> GrpcPrefixes) IngressPrefixes(string overlay)
    {
        var rest = new List<string>();
        var grpc = new List<string>();
        foreach (var ingress in RenderedOverlay.Get(overlay).OfKind("Ingress"))
        {
            var target = ingress.Annotations.GetValueOrDefault("nginx.ingress.kubernetes.io/backend-protocol") == "GRPC" ? grpc : rest;
            foreach (var rule in ingress.Spec.Items("rules"))
            {
                foreach (var path in rule.Items("http", "paths"))
                {
                    Assert.Equal("Prefix", path.Str("pathType"));
                    target.Add(path.Str("path") ?? "/");
                }
            }
        }
        return (rest, grpc);
    }

    /// <summary>The literal start of each google.api.http path template, e.g. /v1/challenges of /v1/{name=challenges/*}:escalate.</summary>
    private static IEnumerable<string> ProtoRestPaths() =>
        Directory.GetFiles(Repo.Combine("protos"), "*.proto", SearchOption.AllDirectories)
            .SelectMany(file => HttpRule().Matches(File.ReadAllText(file)))
            .Select(match => ExampleOf(match.Groups["path"].Value));

    /// <summary>A concrete path of a template: each variable replaced by its pattern's first segment or a sample id.</summary>
    private static string ExampleOf(string template) =>
        Variable().Replace(template, m => m.Groups["pattern"].Success ? m.Groups["pattern"].Value.Replace("*", "x", StringComparison.Ordinal) : "x");

    private static IEnumerable<string> GatewayRoutePaths() =>
        Processes.Named("gateway").Settings.Values
            .Where(kv => kv.Key.StartsWith("ReverseProxy:Routes:", StringComparison.OrdinalIgnoreCase) && kv.Key.EndsWith(":Match:Path", StringComparison.OrdinalIgnoreCase))
            .Select(kv => Variable().Replace(kv.Value ?? string.Empty, "x"));

    [GeneratedRegex(@"\b(get|post|put|patch|delete)\s*:\s*""(?<path>/[^""]*)""")]
    private static partial Regex HttpRule();

    [GeneratedRegex(@"\{\**(?<name>[\w.]+)(=(?<pattern>[^}]*))?\}")]
    private static partial Regex Variable();
}
