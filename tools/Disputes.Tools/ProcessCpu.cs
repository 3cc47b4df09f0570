using System.Globalization;

namespace Disputes.Tools;

/// <summary>
/// CPU time a process has used so far, from <c>/proc/{pid}/stat</c> (utime + stime, all threads),
/// in the kernel's user-visible clock ticks (USER_HZ, 100 per second on Linux).
/// </summary>
public static class ProcessCpu
{
    public const int TicksPerSecond = 100;

    /// <summary>The process's CPU time, or null when it is gone or not readable.</summary>
    public static TimeSpan? Read(int pid)
    {
        try
        {
            return TryParse(File.ReadAllText($"/proc/{pid}/stat"), out var ticks)
                ? TimeSpan.FromSeconds((double)ticks / TicksPerSecond)
                : null;
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>
    /// utime (field 14) + stime (field 15). The command name (field 2) is in parentheses and may
    /// itself hold spaces and parentheses, so fields are counted from the last ')'.
    /// </summary>
    public static bool TryParse(string stat, out long ticks)
    {
        ticks = 0;
        var end = stat.LastIndexOf(')');
        if (end < 0)
            return false;
        // After ") ": field 3 (state) is index 0, so utime is index 11 and stime index 12.
        var fields = stat[(end + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (fields.Length < 13
            || !long.TryParse(fields[11], NumberStyles.None, CultureInfo.InvariantCulture, out var user)
            || !long.TryParse(fields[12], NumberStyles.None, CultureInfo.InvariantCulture, out var system))
            return false;
        ticks = user + system;
        return true;
    }
}
