using StackExchange.Redis;

namespace Disputes.IntegrationTests;

/// <summary>Keys as a test sees them on a single server or a cluster: every primary scanned, since each node lists its own slots only.</summary>
internal static class ClusterKeys
{
    public static string[] Matching(IConnectionMultiplexer redis, string pattern) =>
        redis.GetServers().Where(server => !server.IsReplica)
            .SelectMany(server => server.Keys(pattern: pattern))
            .Select(key => key.ToString())
            .Order(StringComparer.Ordinal)
            .ToArray();

    /// <summary>The members of a list's index over its partitions.</summary>
    public static async Task<long> LengthAsync(IDatabase db, IEnumerable<RedisKey> partitions)
    {
        long length = 0;
        foreach (var key in partitions)
            length += await db.SortedSetLengthAsync(key);
        return length;
    }
}

/// <summary>Every outbox stream of an app: the one stream, or one per partition once the outbox is partitioned.</summary>
internal static class OutboxStreams
{
    public static IReadOnlyList<RedisKey> Of(Disputes.EventBus.Redis.RedisOutbox outbox) =>
        Disputes.EventBus.Redis.RedisPartitions.All
            .Select(partition => outbox.StreamKeyOf(KeyIn(partition)))
            .Append(outbox.StreamKey)
            .Distinct()
            .ToArray();

    public static async Task<long> LengthAsync(IDatabase db, Disputes.EventBus.Redis.RedisOutbox outbox)
    {
        long length = 0;
        foreach (var stream in Of(outbox))
            length += await db.StreamLengthAsync(stream);
        return length;
    }

    /// <summary>A partition key that falls in <paramref name="partition"/>.</summary>
    private static string KeyIn(int partition) =>
        Enumerable.Range(0, 10_000).Select(n => $"k{n}").First(key => Disputes.EventBus.Redis.RedisPartitions.Of(key) == partition);
}
