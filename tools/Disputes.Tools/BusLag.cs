using Disputes.Tools.Support;
using StackExchange.Redis;

namespace Disputes.Tools;

/// <summary>One consumer group of a topic: entries not yet delivered to it (lag) and delivered but not acknowledged (pending).</summary>
public sealed record GroupLag(string Topic, string Group, long Lag, long Pending)
{
    public bool CaughtUp => Lag == 0 && Pending == 0;
}

/// <summary>An outbox stream and the events in it not yet published.</summary>
public sealed record OutboxBacklog(string Stream, long Length);

/// <summary>The event pipeline at one moment: every consumer group of every topic, and every outbox.</summary>
public sealed record BusLagReading(IReadOnlyList<GroupLag> Groups, IReadOnlyList<OutboxBacklog> Outboxes)
{
    /// <summary>Nothing left anywhere: every outbox empty, every group with no lag and nothing pending.</summary>
    public bool Drained => Groups.All(g => g.CaughtUp) && Outboxes.All(o => o.Length == 0);
}

/// <summary>
/// Reads what the pipeline still has to do, cheaply enough to poll: XINFO GROUPS of every topic and
/// XLEN of every outbox, all sent at once (one round trip's wait). The outboxes are found with SCAN
/// when the reader is made (before a load, so the search is not part of the drain) and again on request.
/// </summary>
public sealed class BusLagReader
{
    /// <summary>When Redis cannot say a group's lag (entries were deleted), at most this many entries are counted.</summary>
    public const int LagCountLimit = 10_000;

    private readonly IConnectionMultiplexer _redis;
    private readonly IReadOnlyList<string> _topics;
    private IReadOnlyList<string> _outboxes;

    private BusLagReader(IConnectionMultiplexer redis, IReadOnlyList<string> topics, IReadOnlyList<string> outboxes) =>
        (_redis, _topics, _outboxes) = (redis, topics, outboxes);

    /// <summary>A reader of the suite's topics (from events.proto) and the outboxes Redis holds now.</summary>
    public static async Task<BusLagReader> OpenAsync(IConnectionMultiplexer redis)
    {
        var reader = new BusLagReader(redis, BusTopics.All.Select(t => t.Topic).ToArray(), []);
        await reader.FindOutboxesAsync();
        return reader;
    }

    public int Outboxes => _outboxes.Count;

    /// <summary>Looks for the outboxes again: one a service made since the reader was opened is read from now on.</summary>
    public async Task FindOutboxesAsync() =>
        // Large SCAN pages: after a load Redis holds hundreds of thousands of keys.
        _outboxes = (await OutboxStreams.FindAsync(_redis, pageSize: 10_000))
            .Where(stream => !stream.EndsWith(BusTopics.OutboxDeadLetterSuffix, StringComparison.Ordinal))
            .ToArray();

    public async Task<BusLagReading> ReadAsync()
    {
        var db = _redis.GetDatabase();
        var groups = _topics.Select(topic => GroupsAsync(db, topic)).ToArray();
        var outboxes = _outboxes.Select(async stream => new OutboxBacklog(stream, await db.StreamLengthAsync(stream))).ToArray();
        return new BusLagReading((await Task.WhenAll(groups)).SelectMany(g => g).ToArray(), await Task.WhenAll(outboxes));
    }

    private static async Task<IReadOnlyList<GroupLag>> GroupsAsync(IDatabase db, string topic)
    {
        StreamGroupInfo[] groups;
        try
        {
            groups = await db.StreamGroupInfoAsync(topic);
        }
        // A topic nobody has published to or subscribed to yet has no stream, so no group.
        catch (RedisServerException ex) when (ex.Message.Contains("no such key", StringComparison.OrdinalIgnoreCase))
        {
            return [];
        }
        var lags = new List<GroupLag>(groups.Length);
        foreach (var group in groups)
        {
            var lag = group.Lag ?? await CountAfterAsync(db, topic, group.LastDeliveredId);
            lags.Add(new GroupLag(topic, group.Name, lag, group.PendingMessageCount));
        }
        return lags;
    }

    /// <summary>Entries after the group's last delivered one, counted up to <see cref="LagCountLimit"/>.</summary>
    private static async Task<long> CountAfterAsync(IDatabase db, string topic, string? lastDeliveredId) =>
        (await db.StreamRangeAsync(topic, string.IsNullOrEmpty(lastDeliveredId) ? "-" : "(" + lastDeliveredId, "+", LagCountLimit)).Length;
}

/// <summary>How the pipeline drained after a load: how long until nothing was left, or what was left when the wait ended.</summary>
public sealed record BusDrainResult(bool Drained, TimeSpan Elapsed, int Readings, BusLagReading Last, string? Failure)
{
    /// <summary>Per outbox and consumer group ("topic / group"), when a reading last saw it with work left: what held the drain up.</summary>
    public IReadOnlyDictionary<string, TimeSpan> LastBusy { get; init; } = new Dictionary<string, TimeSpan>();
}

/// <summary>
/// Polls <see cref="BusLagReader"/> until the pipeline is drained or the wait ends. The drain time is
/// taken at the first reading that saw nothing left, so it is late by at most one poll interval.
/// </summary>
public static class BusDrain
{
    /// <param name="started">Where the times count from (a <see cref="TimeProvider.GetTimestamp"/>); by default, now.</param>
    public static async Task<BusDrainResult> WaitAsync(Func<Task<BusLagReading>> read, TimeSpan limit, TimeSpan pollInterval,
        TimeProvider time, CancellationToken cancellationToken, long? started = null)
    {
        var from = started ?? time.GetTimestamp();
        var readings = 0;
        BusLagReading last = new([], []);
        var lastBusy = new Dictionary<string, TimeSpan>(StringComparer.Ordinal);
        while (true)
        {
            try
            {
                last = await read();
                readings++;
            }
            catch (Exception ex) when (ex is RedisException or TimeoutException)
            {
                return new BusDrainResult(false, time.GetElapsedTime(from), readings, last, $"reading the bus failed: {ex.Message}") { LastBusy = lastBusy };
            }
            var elapsed = time.GetElapsedTime(from);
            foreach (var outbox in last.Outboxes.Where(o => o.Length > 0))
                lastBusy[$"outbox {outbox.Stream}"] = elapsed;
            foreach (var group in last.Groups.Where(g => !g.CaughtUp))
                lastBusy[$"{group.Topic} / {group.Group}"] = elapsed;
            if (last.Drained || elapsed >= limit || cancellationToken.IsCancellationRequested)
                return new BusDrainResult(last.Drained, elapsed, readings, last, null) { LastBusy = lastBusy };
            try
            {
                await Task.Delay(pollInterval, time, cancellationToken);
            }
            catch (OperationCanceledException)
            {
                return new BusDrainResult(false, time.GetElapsedTime(from), readings, last, "cancelled") { LastBusy = lastBusy };
            }
        }
    }
}
