using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Disputes.EventBus.Redis;

/// <summary>
/// Publishes as Dapr's pubsub.redis does: <c>XADD {topic} MAXLEN ~ {bound} * data {CloudEvent JSON}</c>.
/// Topics are trimmed by length at publish (Dapr's <c>maxLenApprox</c>), never by which consumer
/// groups happen to exist, so an app whose group is created later still finds what is within the bound.
/// </summary>
public sealed class RedisEventPublisher(IConnectionMultiplexer redis, IOptions<EventBusOptions> options) : IEventPublisher
{
    public RedisEventPublisher(IConnectionMultiplexer redis) : this(redis, Options.Create(new EventBusOptions()))
    {
    }

    public string System => "redis";

    public Task PublishAsync(EventEnvelope envelope, CancellationToken cancellationToken) =>
        redis.GetDatabase().StreamAddAsync(envelope.Topic, RedisStreamFields.Data, envelope.ToCloudEventJson(),
            maxLength: options.Value.MaxStreamLength, useApproximateMaxLength: true);
}
