using Disputes.Redis;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Disputes.EventBus.Redis;

/// <summary>
/// Processed event ids under the app's own key prefix, kept for the de-duplication window, in the
/// slot of the event's dispute (<c>{app}:{pNN}:processed:{event id}</c>), so a handler's transaction
/// over its dispute's keys can write the mark too. An event that names no dispute is marked in the
/// partition of its own id.
/// </summary>
public sealed class RedisProcessedEvents(IConnectionMultiplexer redis, IOptions<EventBusOptions> options) : IProcessedEvents
{
    private readonly string _prefix = options.Value.AppId + ":";

    public Task<bool> WasProcessedAsync(string eventId, string? disputeId) => redis.GetDatabase().KeyExistsAsync(KeyOf(eventId, disputeId));

    public Task MarkProcessedAsync(string eventId, string? disputeId) =>
        redis.GetDatabase().StringSetAsync(KeyOf(eventId, disputeId), 1, options.Value.DeduplicationWindow);

    /// <summary>
    /// Queues the event's processed mark in the handler's own transaction: written if and only if
    /// the handler's change is, and one round trip fewer per event.
    /// </summary>
    public void MarkProcessed(ITransaction transaction, EventContext context) =>
        context.MarkProcessedWith(transaction.StringSetAsync(KeyOf(context.EventId, context.DisputeId), 1, options.Value.DeduplicationWindow));

    /// <summary>The mark of an event of this app.</summary>
    public RedisKey KeyOf(string eventId, string? disputeId) => KeyOf(options.Value.AppId, eventId, disputeId);

    /// <summary>The mark an app keeps for an event it handled (the support tools read other apps' marks).</summary>
    public static RedisKey KeyOf(string appId, string eventId, string? disputeId) =>
        RedisPartitions.KeyOf(appId + ":", disputeId ?? eventId, "processed:" + eventId);
}
