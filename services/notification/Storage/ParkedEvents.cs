using System.Text.Json;
using Disputes.EventBus;
using Disputes.Redis;
using StackExchange.Redis;

namespace Disputes.Notification.Storage;

/// <summary>
/// Events that arrived before their challenge's raise (topics are read independently, so after
/// an outage a dispute's later events can overtake its raise). They are parked under
/// <c>notification:{p07}:parked:{challenge}</c> (in the slot of the dispute's facts), atomically with the check that the raise is still unknown, and
/// replayed once it arrives, instead of being retried into a dead letter.
/// </summary>
public sealed class ParkedEvents(IConnectionMultiplexer redis)
{
    private static readonly TimeSpan Retention = TimeSpan.FromDays(30);

    public static RedisKey KeyOf(string challengeId) => RedisPartitions.KeyOf(DeliveryStore.Prefix, challengeId, "parked:" + challengeId);

    public sealed record Parked(string Type, string DataJson, string EventId, string Source, DateTimeOffset Time, string? TraceParent);

    /// <summary>Parks the event unless the raise is known by now (then false: handle it as usual).</summary>
    public async Task<bool> ParkUnlessKnownAsync(string challengeId, RedisKey factsKey, Parked parked)
    {
        var transaction = redis.GetDatabase().CreateTransaction();
        transaction.AddCondition(Condition.KeyNotExists(factsKey));
        _ = transaction.ListRightPushAsync(KeyOf(challengeId), JsonSerializer.Serialize(parked));
        _ = transaction.KeyExpireAsync(KeyOf(challengeId), Retention);
        return await transaction.ExecuteAsync();
    }

    public async Task<IReadOnlyList<(RedisValue Raw, Parked Event)>> ListAsync(string challengeId)
    {
        var values = await redis.GetDatabase().ListRangeAsync(KeyOf(challengeId));
        return values.Select(v => (v, JsonSerializer.Deserialize<Parked>(v.ToString())!)).ToArray();
    }

    public Task RemoveAsync(string challengeId, RedisValue raw) =>
        redis.GetDatabase().ListRemoveAsync(KeyOf(challengeId), raw, 1);

    /// <summary>
    /// The context a parked event is handled again with: its dispute included, which keys its processed
    /// mark in the dispute's slot, the same mark a first delivery writes (and the one transaction of the
    /// handler's writes stays in one slot on a Redis Cluster).
    /// </summary>
    public static EventContext ContextOf(Parked parked, string challengeId) =>
        new(parked.EventId, parked.Source, parked.Time, parked.TraceParent, challengeId);
}
