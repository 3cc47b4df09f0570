namespace Disputes.EventBus.Redis;

/// <summary>The stream entry layout Dapr's pubsub.redis component writes and reads.</summary>
public static class RedisStreamFields
{
    /// <summary>The CloudEvent JSON. Dapr's component reads only this field (it may write a "metadata" one beside it).</summary>
    public const string Data = "data";
}
