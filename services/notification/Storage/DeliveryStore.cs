using Google.Protobuf;
using StackExchange.Redis;

namespace Disputes.Notification.Storage;

/// <summary>
/// The delivery log under the <c>notification:</c> prefix: one hash per challenge keyed by
/// delivery id, which is derived from the event and the recipient, so a redelivered
/// event can never log (or send) a second delivery.
/// </summary>
public sealed class DeliveryStore(IConnectionMultiplexer redis)
{
    public const string Prefix = "notification:";

    private static RedisKey DeliveriesKey(string challengeId) => $"{Prefix}deliveries:{challengeId}";

    public Task<bool> ExistsAsync(string challengeId, string deliveryId) =>
        redis.GetDatabase().HashExistsAsync(DeliveriesKey(challengeId), deliveryId);

    /// <summary>Logs the delivery unless it is already logged.</summary>
    public Task<bool> AddAsync(string challengeId, string deliveryId, V1.Delivery delivery) =>
        redis.GetDatabase().HashSetAsync(DeliveriesKey(challengeId), deliveryId, delivery.ToByteArray(), When.NotExists);

    public async Task<IReadOnlyList<V1.Delivery>> ListAsync(string challengeId)
    {
        var entries = await redis.GetDatabase().HashGetAllAsync(DeliveriesKey(challengeId));
        return entries.OrderBy(e => e.Name.ToString(), StringComparer.Ordinal)
            .Select(e => V1.Delivery.Parser.ParseFrom((byte[])e.Value!))
            .ToArray();
    }
}
