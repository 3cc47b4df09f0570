using System.Globalization;
using StackExchange.Redis;

namespace Disputes.Tools.Support;

/// <summary>Redis stream entry ids ("{unix milliseconds}-{sequence}") read as the time they were added.</summary>
public static class StreamIds
{
    public static DateTimeOffset? TimeOf(RedisValue id)
    {
        if (id.IsNullOrEmpty)
            return null;
        var text = id.ToString();
        var dash = text.IndexOf('-');
        return long.TryParse(dash < 0 ? text : text[..dash], NumberStyles.None, CultureInfo.InvariantCulture, out var milliseconds)
            ? DateTimeOffset.FromUnixTimeMilliseconds(milliseconds)
            : null;
    }

    public static TimeSpan? AgeOf(RedisValue id, DateTimeOffset now) =>
        TimeOf(id) is { } added ? (now - added > TimeSpan.Zero ? now - added : TimeSpan.Zero) : null;

    /// <summary>Whether the text is an explicit stream id, so it can be passed to XRANGE/XDEL as given.</summary>
    public static bool IsValid(string text)
    {
        var parts = text.Split('-');
        return parts.Length == 2
            && parts.All(part => part.Length is > 0 and <= 20 && part.All(char.IsAsciiDigit));
    }
}
