using StackExchange.Redis;

namespace Disputes.EventBus.Redis;

/// <summary>Publishes as Dapr's pubsub.redis does: <c>XADD {topic} * data {CloudEvent JSON}</c>.</summary>
public sealed class RedisEventPublisher(IConnectionMultiplexer redis) : IEventPublisher
{
    public string System => "redis";

    public Task PublishAsync(EventEnvelope envelope, CancellationToken cancellationToken) =>
        redis.GetDatabase().StreamAddAsync(envelope.Topic, RedisStreamFields.Data, envelope.ToCloudEventJson());
}
