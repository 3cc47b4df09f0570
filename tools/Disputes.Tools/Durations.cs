using System.CommandLine.Parsing;
using System.Globalization;

namespace Disputes.Tools;

/// <summary>Parses durations written as people type them: <c>500ms</c>, <c>20s</c>, <c>2m</c>, or a TimeSpan.</summary>
public static class Durations
{
    public static TimeSpan Parse(ArgumentResult result, string optionName, TimeSpan min, TimeSpan max)
    {
        var text = result.Tokens.Count > 0 ? result.Tokens[0].Value.Trim() : "";
        if (!TryParse(text, out var value))
            result.AddError($"'{text}' is not a duration; write e.g. 500ms, 20s, 2m or 00:00:20.");
        else if (value < min || value > max)
            result.AddError($"{optionName} must be between {Format(min)} and {Format(max)}.");
        return value;
    }

    /// <summary>The shortest of the forms <see cref="TryParse"/> reads.</summary>
    public static string Format(TimeSpan value) =>
        value.TotalMilliseconds < 1000 || value.TotalMilliseconds % 1000 != 0 ? Invariant(value.TotalMilliseconds, "ms")
        : value.TotalSeconds < 60 || value.TotalSeconds % 60 != 0 ? Invariant(value.TotalSeconds, "s")
        : value.TotalMinutes < 60 || value.TotalMinutes % 60 != 0 ? Invariant(value.TotalMinutes, "m")
        : Invariant(value.TotalHours, "h");

    private static string Invariant(double amount, string unit) => amount.ToString("0.###", CultureInfo.InvariantCulture) + unit;

    public static bool TryParse(string text, out TimeSpan value)
    {
        value = default;
        // Longest suffix first, so "ms" is not read as "s".
        (string Suffix, double Milliseconds)[] units = [("ms", 1), ("s", 1000), ("m", 60_000), ("h", 3_600_000)];
        foreach (var (suffix, milliseconds) in units)
        {
            if (!text.EndsWith(suffix, StringComparison.OrdinalIgnoreCase))
                continue;
            if (!double.TryParse(text[..^suffix.Length], NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var amount))
                return false;
            value = TimeSpan.FromMilliseconds(amount * milliseconds);
            return true;
        }
        return TimeSpan.TryParse(text, CultureInfo.InvariantCulture, out value) && value >= TimeSpan.Zero;
    }
}
