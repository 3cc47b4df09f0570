using System.Diagnostics;
using OpenTelemetry;

namespace Disputes.ServiceDefaults.Telemetry;

/// <summary>
/// The gateway's health probes of its backends (YARP's active health checks, every few seconds
/// per cluster) are not part of any dispute: they are left unrecorded, so they neither fill the
/// traces nor cost an export each. Cleared when they start, before any exporter sees them end,
/// and the probes' own HTTP calls then follow their unrecorded parent.
/// </summary>
public sealed class UnrecordedHealthChecks : BaseProcessor<Activity>
{
    public const string YarpSource = "Yarp.ReverseProxy";

    private static readonly HashSet<string> HealthCheckSpans = new(StringComparer.Ordinal)
    {
        "proxy.cluster_health_checks", "proxy.destination_health_check",
    };

    public override void OnStart(Activity activity)
    {
        if (activity.Source.Name == YarpSource && HealthCheckSpans.Contains(activity.OperationName))
        {
            activity.ActivityTraceFlags &= ~ActivityTraceFlags.Recorded;
            activity.IsAllDataRequested = false;
        }
    }

    /// <summary>An outgoing call to a health endpoint (the probes' own requests).</summary>
    public static bool IsHealthProbe(HttpRequestMessage request) =>
        request.RequestUri is { } uri && uri.AbsolutePath.StartsWith("/health", StringComparison.Ordinal);
}
