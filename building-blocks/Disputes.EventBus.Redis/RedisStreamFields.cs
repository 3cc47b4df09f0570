namespace Disputes.EventBus.Redis;

/// <summary>The stream entry layout Dapr's pubsub.redis component writes and reads.</summary>
public static class RedisStreamFields
{
    /// <summary>The CloudEvent JSON. Dapr's component reads only this field.</summary>
    public const string Data = "data";

    /// <summary>Optional publish metadata, a JSON object of strings.</summary>
    public const string Metadata = "metadata";
}
