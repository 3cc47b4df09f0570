using System.Globalization;
using Microsoft.Extensions.Configuration;

namespace Disputes.ServiceDefaults.Telemetry;

/// <summary>
/// How large a process's local spans file grows before it is rotated, and how many of its files
/// (the one being written included) are kept: the oldest rotated file is deleted past that; and how
/// long the files of a directory are kept after their last write (those of exited processes too).
/// </summary>
public sealed record SpansFileRotation(long MaxFileBytes, int FilesKept)
{
    public const string MaxFileBytesSetting = "Telemetry:SpansFileMaxBytes";
    public const string FilesKeptSetting = "Telemetry:SpansFilesKept";
    public const string RetentionDaysSetting = "Telemetry:SpansRetentionDays";

    /// <summary>A spans file not written for this long is deleted when a process starts writing into its directory; zero keeps them.</summary>
    public TimeSpan Retention { get; init; } = TimeSpan.FromDays(7);

    /// <summary>10 MiB a file, five files: at most about 50 MiB of spans per process.</summary>
    public static SpansFileRotation Default { get; } = new(10 * 1024 * 1024, 5);

    /// <summary>The settings, or the defaults where unset; a bound that is not positive stops the process at start.</summary>
    public static SpansFileRotation From(IConfiguration configuration)
    {
        var maxBytes = Read(configuration, MaxFileBytesSetting, Default.MaxFileBytes);
        var kept = Read(configuration, FilesKeptSetting, Default.FilesKept);
        var retentionDays = Read(configuration, RetentionDaysSetting, (long)Default.Retention.TotalDays);
        if (maxBytes < 1)
            throw new InvalidOperationException($"{MaxFileBytesSetting} must be a positive number of bytes, not {maxBytes}.");
        if (kept is < 1 or > 1000)
            throw new InvalidOperationException($"{FilesKeptSetting} must be between 1 and 1000, not {kept}.");
        if (retentionDays is < 0 or > 3650)
            throw new InvalidOperationException($"{RetentionDaysSetting} must be between 0 (keep) and 3650 days, not {retentionDays}.");
        return new SpansFileRotation(maxBytes, (int)kept) { Retention = TimeSpan.FromDays(retentionDays) };
    }

    private static long Read(IConfiguration configuration, string key, long fallback) =>
        configuration[key] is not { Length: > 0 } text
            ? fallback
            : long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value)
                ? value
                : throw new InvalidOperationException($"{key} must be a whole number, not '{text}'.");
}
