using System.Globalization;
using HdrHistogram;

namespace Disputes.Tools;

/// <summary>
/// Latencies in microseconds in an HDR histogram (3 significant digits, up to 5 minutes), safe to
/// record into from many calls at once. Values beyond the range count as the range's top.
/// </summary>
public sealed class HdrLatency
{
    private static readonly long HighestMicroseconds = (long)TimeSpan.FromMinutes(5).TotalMicroseconds;
    private readonly LongHistogram _histogram = new(HighestMicroseconds, 3);

    public long Count
    {
        get
        {
            lock (_histogram)
                return _histogram.TotalCount;
        }
    }

    public void Record(TimeSpan latency)
    {
        var microseconds = Math.Clamp((long)latency.TotalMicroseconds, 0, HighestMicroseconds);
        lock (_histogram)
            _histogram.RecordValue(microseconds);
    }

    /// <summary>p50, p90, p99 and max in milliseconds.</summary>
    public string Summary()
    {
        lock (_histogram)
        {
            if (_histogram.TotalCount == 0)
                return "no samples";
            return string.Create(CultureInfo.InvariantCulture,
                $"p50 {Ms(_histogram.GetValueAtPercentile(50))}  p90 {Ms(_histogram.GetValueAtPercentile(90))}  p99 {Ms(_histogram.GetValueAtPercentile(99))}  max {Ms(_histogram.GetMaxValue())}");
        }
    }

    private static string Ms(long microseconds) => (microseconds / 1000.0).ToString("0.00", CultureInfo.InvariantCulture);
}
