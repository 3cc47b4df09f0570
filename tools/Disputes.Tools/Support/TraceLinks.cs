namespace Disputes.Tools.Support;

/// <summary>Links to a trace viewer from a template such as http://localhost:16686/trace/{traceId} (Jaeger) or a Tempo explore URL.</summary>
public sealed class TraceLinks(string? template)
{
    public const string Placeholder = "{traceId}";
    public const string Variable = "DISPUTES_TRACE_URL";

    public string? For(string? traceId) =>
        string.IsNullOrEmpty(template) || string.IsNullOrEmpty(traceId) ? null : template.Replace(Placeholder, Uri.EscapeDataString(traceId), StringComparison.Ordinal);

    public static bool IsValidTemplate(string template) =>
        template.Contains(Placeholder, StringComparison.Ordinal)
        && Uri.TryCreate(template.Replace(Placeholder, "0", StringComparison.Ordinal), UriKind.Absolute, out var uri)
        && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps);
}
