using System.Globalization;

namespace Disputes.Tools.Support;

/// <summary>Short human durations for tables: 850ms, 12s, 4m 10s, 3h 5m, 2d 4h.</summary>
public static class Ages
{
    public static string Format(TimeSpan? age) => age is not { } a ? "-" : a switch
    {
        { TotalSeconds: < 1 } => $"{a.TotalMilliseconds.ToString("0", CultureInfo.InvariantCulture)}ms",
        { TotalMinutes: < 1 } => $"{(int)a.TotalSeconds}s",
        { TotalHours: < 1 } => $"{a.Minutes}m {a.Seconds}s",
        { TotalDays: < 1 } => $"{a.Hours}h {a.Minutes}m",
        _ => $"{(int)a.TotalDays}d {a.Hours}h",
    };
}
