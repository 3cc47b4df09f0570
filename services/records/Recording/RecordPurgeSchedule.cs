using System.Diagnostics;
using System.Diagnostics.Metrics;
using Disputes.Records.Storage;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Disputes.Records.Recording;

/// <summary><c>Records:Purge</c>: how often the scheduled purge runs, and how long one replica holds it.</summary>
public sealed class RecordPurgeOptions
{
    public const string SectionName = "Records:Purge";

    /// <summary>Off only where something else runs the purge (tests that call the RPC themselves).</summary>
    public bool Scheduled { get; set; } = true;

    public TimeSpan Interval { get; set; } = TimeSpan.FromDays(1);

    /// <summary>How long a replica holds the purge; a replica that dies mid-run frees it after this.</summary>
    public TimeSpan LeaseDuration { get; set; } = TimeSpan.FromHours(1);
}

/// <summary>
/// The purge lease under records' prefix: one replica purges at a time. Released by its holder
/// only (compare and delete), and it expires on Redis's own clock if the holder dies.
/// </summary>
public sealed class RecordPurgeLease(IConnectionMultiplexer redis)
{
    public static readonly RedisKey Key = RecordStore.Prefix + "purge:lease";

    private static readonly LuaScript Release = LuaScript.Prepare(
        "if redis.call('GET', @key) == @owner then return redis.call('DEL', @key) end return 0");

    public Task<bool> TryAcquireAsync(string owner, TimeSpan duration) =>
        redis.GetDatabase().StringSetAsync(Key, owner, duration, When.NotExists);

    public async Task ReleaseAsync(string owner) =>
        await redis.GetDatabase().ScriptEvaluateAsync(Release, new { key = Key, owner });
}

/// <summary>
/// Runs the retention purge at start and then every <see cref="RecordPurgeOptions.Interval"/> (time from
/// <see cref="TimeProvider"/>), on whichever replica holds the lease. A failed run is logged and
/// counted, and the next one runs as planned.
/// </summary>
public sealed partial class RecordPurgeSchedule(IExpiredRecordPurge purge, RecordPurgeLease lease, IOptions<RecordPurgeOptions> options,
    TimeProvider timeProvider, ILogger<RecordPurgeSchedule> logger) : BackgroundService
{
    public const string MeterName = "Disputes.Records";
    private static readonly Meter Meter = new(MeterName);
    private static readonly Counter<long> Runs = Meter.CreateCounter<long>(
        "disputes.records.purge.runs", "{run}", "Scheduled purge runs, by outcome (completed, failed, skipped: another replica held the lease).");
    private static readonly Counter<long> Purged = Meter.CreateCounter<long>(
        "disputes.records.purge.purged", "{record}", "Records whose narrative a scheduled purge removed.");

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            await RunOnceAsync(stoppingToken);
            try
            {
                await Task.Delay(options.Value.Interval, timeProvider, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    /// <summary>One run: true when it purged (or found nothing to purge), false when skipped or failed.</summary>
    public async Task<bool> RunOnceAsync(CancellationToken cancellationToken)
    {
        var owner = $"{Environment.MachineName}:{Guid.NewGuid():N}";
        try
        {
            if (!await lease.TryAcquireAsync(owner, options.Value.LeaseDuration))
            {
                Count("skipped");
                return false;
            }
            try
            {
                var (purged, held) = await purge.PurgeExpiredAsync(cancellationToken);
                Purged.Add(purged.Count);
                Count("completed");
                LogCompleted(purged.Count, held.Count);
                return true;
            }
            finally
            {
                await lease.ReleaseAsync(owner);
            }
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
        {
            Count("failed");
            LogFailed(ex);
            return false;
        }
    }

    private static void Count(string outcome) => Runs.Add(1, new TagList { { "outcome", outcome } });

    [LoggerMessage(LogLevel.Information, "Scheduled purge: {Purged} records purged, {Held} kept under legal hold")]
    private partial void LogCompleted(int purged, int held);

    [LoggerMessage(LogLevel.Error, "Scheduled purge failed; the next runs as planned")]
    private partial void LogFailed(Exception exception);
}
