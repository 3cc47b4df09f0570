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
