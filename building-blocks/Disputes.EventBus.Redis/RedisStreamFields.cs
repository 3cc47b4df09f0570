using StackExchange.Redis;

namespace Disputes.EventBus.Redis;

/// <summary>The stream entry layout Dapr's pubsub.redis component writes and reads.</summary>
public static class RedisStreamFields
{
    /// <summary>The CloudEvent JSON. Dapr's component reads only this field.</summary>
    public const string Data = "data";

    /// <summary>Optional publish metadata, a JSON object of strings.</summary>
    public const string Metadata = "metadata";
}

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
