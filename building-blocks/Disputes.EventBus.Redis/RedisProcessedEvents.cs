using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Disputes.EventBus.Redis;

/// <summary>Processed event ids under the app's own key prefix, kept for the de-duplication window.</summary>
public sealed class RedisProcessedEvents(IConnectionMultiplexer redis, IOptions<EventBusOptions> options) : IProcessedEvents
{
    public Task<bool> WasProcessedAsync(string eventId) => redis.GetDatabase().KeyExistsAsync(KeyOf(eventId));

    public Task MarkProcessedAsync(string eventId) =>
        redis.GetDatabase().StringSetAsync(KeyOf(eventId), 1, options.Value.DeduplicationWindow);

    /// <summary>
    /// Queues the event's processed mark in the handler's own transaction: written if and only if
    /// the handler's change is, and one round trip fewer per event.
    /// </summary>
    public void MarkProcessed(ITransaction transaction, EventContext context) =>
        context.MarkProcessedWith(transaction.StringSetAsync(KeyOf(context.EventId), 1, options.Value.DeduplicationWindow));

    private RedisKey KeyOf(string eventId) => $"{options.Value.AppId}:processed:{eventId}";
}
