using System.Diagnostics.Metrics;

namespace Disputes.Escalation.Timers;

/// <summary>The durable timers' gauges and histogram, on a meter the suite's OpenTelemetry setup exports (Disputes.*).</summary>
public static class EscalationMetrics
{
    public const string MeterName = "Disputes.Escalation";

    private static readonly Meter Meter = new(MeterName);

    private static readonly Histogram<double> Lateness = Meter.CreateHistogram<double>(
        "disputes.escalation.timer.lateness", "s", "How long after its due time a timer fired (poll delay, or downtime).",
        advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 3600, 86400] });

    private static long _pending = -1;

    static EscalationMetrics() =>
        Meter.CreateObservableGauge("disputes.escalation.timers.pending", ObservePending, "{timer}",
            "Timers set and not yet fired (as the poller last counted them).");

    /// <summary>The count the poller last read; the gauge reports it.</summary>
    public static void TimersPending(long count) => Interlocked.Exchange(ref _pending, count);

    public static void TimerFired(string kind, TimeSpan lateness) =>
        Lateness.Record(Math.Max(0, lateness.TotalSeconds), new KeyValuePair<string, object?>("disputes.timer.kind", kind));

    private static IEnumerable<Measurement<long>> ObservePending()
    {
        var pending = Interlocked.Read(ref _pending);
        return pending < 0 ? [] : [new Measurement<long>(pending)];
    }
}
