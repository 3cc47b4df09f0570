using Disputes.Redis;
using StackExchange.Redis;

namespace Disputes.Tools.Support;

/// <summary>
/// The outbox streams as the bus stores them: per service, one stream per partition
/// (<c>{app}:{pNN}:outbox</c>), each with its dead-letter stream (<c>{app}:{pNN}:outbox:deadletter</c>).
/// </summary>
public static class OutboxStreams
{
    /// <summary>One service's outbox: its partition streams and their dead-letter streams, found in Redis.</summary>
    public sealed record Outbox(string App, IReadOnlyList<string> Streams, IReadOnlyList<string> DeadLetterStreams)
    {
        /// <summary>The outbox's name, all partitions together, as metrics and bus status give it.</summary>
        public string Name => App + OutboxSuffix;
    }

    public const string OutboxSuffix = ":outbox";

    /// <summary>The streams of one partition of every service's outbox.</summary>
    public static string PatternOf(int partition) => $"*:{RedisPartitions.Tag(partition)}:outbox*";

    public static bool IsDeadLetter(string stream) => stream.EndsWith(BusTopics.OutboxDeadLetterSuffix, StringComparison.Ordinal);

    /// <summary>Whether a name is a service's outbox as bus status names it ("challenge:outbox").</summary>
    public static bool IsOutboxName(string name) =>
        name.EndsWith(OutboxSuffix, StringComparison.Ordinal) && name.Length > OutboxSuffix.Length
        && name[..^OutboxSuffix.Length].All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c == '-');

    /// <summary>
    /// Every outbox stream and outbox dead-letter stream matching the pattern, found with SCAN on every
    /// primary (so on a Redis Cluster too) rather than from a list of apps that could go stale.
    /// </summary>
    public static async Task<IReadOnlyList<string>> FindAsync(IConnectionMultiplexer redis, string pattern = BusTopics.OutboxPattern, int pageSize = 500)
    {
        var db = redis.GetDatabase();
        var streams = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var server in redis.GetServers().Where(s => s.IsConnected && !s.IsReplica))
        {
            await foreach (var key in server.KeysAsync(pattern: pattern, pageSize: pageSize))
            {
                if (await db.KeyTypeAsync(key) == RedisType.Stream)
                    streams.Add(key.ToString());
            }
        }
        return streams.ToArray();
    }

    /// <summary>Every service's outbox, by app, in app order.</summary>
    public static async Task<IReadOnlyList<Outbox>> FindByAppAsync(IConnectionMultiplexer redis) =>
        (await FindAsync(redis))
            .GroupBy(BusTopics.AppOfKey, StringComparer.Ordinal)
            .OrderBy(app => app.Key, StringComparer.Ordinal)
            .Select(app => new Outbox(app.Key, app.Where(s => !IsDeadLetter(s)).ToArray(), app.Where(IsDeadLetter).ToArray()))
            .ToArray();

    /// <summary>A service's outbox stream of one partition, which its relay reads.</summary>
    public static string StreamOf(string app, int partition) => RedisPartitions.KeyIn(app + ":", partition, "outbox").ToString();

    /// <summary>A service's outbox dead-letter stream of one partition.</summary>
    public static string DeadLetterStreamOf(string app, int partition) =>
        RedisPartitions.KeyIn(app + ":", partition, "outbox" + BusTopics.OutboxDeadLetterSuffix).ToString();

    /// <summary>A service's outbox dead-letter streams, one per partition, whether they exist or not.</summary>
    public static IReadOnlyList<(int Partition, string Stream)> DeadLetterStreamsOf(string app) =>
        RedisPartitions.All.Select(p => (p, DeadLetterStreamOf(app, p))).ToArray();
}
