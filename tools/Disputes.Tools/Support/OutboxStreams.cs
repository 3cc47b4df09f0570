using StackExchange.Redis;

namespace Disputes.Tools.Support;

public static class OutboxStreams
{
    /// <summary>
    /// Every outbox stream and outbox dead-letter stream, found with SCAN on every primary (so on a
    /// Redis Cluster too) rather than from a list of apps that could go stale.
    /// </summary>
    public static async Task<IReadOnlyList<string>> FindAsync(IConnectionMultiplexer redis, int pageSize = 500)
    {
        var db = redis.GetDatabase();
        var streams = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var server in redis.GetServers().Where(s => s.IsConnected && !s.IsReplica))
        {
            await foreach (var key in server.KeysAsync(pattern: BusTopics.OutboxPattern, pageSize: pageSize))
            {
                if (await db.KeyTypeAsync(key) == RedisType.Stream)
                    streams.Add(key.ToString());
            }
        }
        return streams.ToArray();
    }
}
