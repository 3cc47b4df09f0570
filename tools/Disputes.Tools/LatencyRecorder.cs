using System.Diagnostics;

namespace Disputes.Tools;

/// <summary>
/// Raw latencies of one worker (not thread-safe: each worker owns one, merged at the end).
/// Raw values rather than a histogram: a run is bounded, so exact percentiles are affordable.
/// </summary>
public sealed class LatencyRecorder
{
    private readonly List<long> _ticks = [];

    public int Count => _ticks.Count;

    /// <summary>Records a latency measured with <see cref="Stopwatch.GetTimestamp"/>.</summary>
    public void Record(long stopwatchTicks) => _ticks.Add(stopwatchTicks);

    public void Record(TimeSpan latency) => _ticks.Add((long)(latency.TotalSeconds * Stopwatch.Frequency));

    public void Add(LatencyRecorder other) => _ticks.AddRange(other._ticks);

    public LatencySummary Summarize()
    {
        if (_ticks.Count == 0)
            return new LatencySummary(0, 0, 0, 0, 0);
        var sorted = _ticks.ToArray();
        Array.Sort(sorted);
        return new LatencySummary(sorted.Length, Percentile(sorted, 50), Percentile(sorted, 90), Percentile(sorted, 99),
            Milliseconds(sorted[^1]));
    }

    /// <summary>Nearest rank: the smallest value with at least p% of the values at or below it.</summary>
    private static double Percentile(long[] sorted, double p) =>
        Milliseconds(sorted[Math.Clamp((int)Math.Ceiling(p / 100 * sorted.Length) - 1, 0, sorted.Length - 1)]);

    private static double Milliseconds(long ticks) => ticks * 1000.0 / Stopwatch.Frequency;
}

/// <summary>Percentiles in milliseconds.</summary>
public readonly record struct LatencySummary(int Count, double P50, double P90, double P99, double Max);
