using System.Diagnostics;
using Disputes.EventBus;

namespace Disputes.Procedure;

public static class DisputeTelemetry
{
    /// <summary>Tags the current span (a gRPC call, a handler) with the dispute it is about.</summary>
    public static void TagDispute(string? challengeId)
    {
        if (!string.IsNullOrEmpty(challengeId))
            Activity.Current?.SetTag(EventBusTelemetry.DisputeIdTag, challengeId);
    }

    /// <summary>The W3C trace id of the current span, recorded with what it produced.</summary>
    public static string CurrentTraceId() => Activity.Current?.TraceId.ToHexString() ?? "";
}
