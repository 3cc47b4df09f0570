using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Disputes.EventBus.Redis;

/// <summary>
/// The transactional outbox: a service adds its events to the same Redis transaction
/// as the state change that caused them, so neither is ever written without the other.
/// <see cref="OutboxRelay"/> then publishes them.
/// </summary>
public sealed class RedisOutbox(IOptions<EventBusOptions> options)
{
    public const string EnvelopeField = "envelope";
    public const string RelayGroup = "relay";

    public RedisKey StreamKey { get; } = $"{options.Value.AppId}:outbox";

    /// <summary>Queues the event in the transaction; it is written only if the transaction commits.</summary>
    public void Add(ITransaction transaction, EventEnvelope envelope) =>
        _ = transaction.StreamAddAsync(StreamKey, EnvelopeField, envelope.ToCloudEventJson());
}
