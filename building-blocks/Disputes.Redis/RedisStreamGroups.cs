using StackExchange.Redis;

namespace Disputes.Redis;

public static class RedisStreamGroups
{
    /// <summary><c>XGROUP CREATE {stream} {group} 0 MKSTREAM</c>, as the Dapr component does; an existing group is kept.</summary>
    public static async Task CreateIfMissingAsync(this IDatabase db, RedisKey stream, string group)
    {
        try
        {
            await db.StreamCreateConsumerGroupAsync(stream, group, "0", createStream: true);
        }
        catch (RedisServerException ex) when (ex.Message.StartsWith("BUSYGROUP", StringComparison.Ordinal))
        {
        }
    }
}
