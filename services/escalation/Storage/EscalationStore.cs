using Google.Protobuf;
using StackExchange.Redis;

namespace Disputes.Escalation.Storage;

/// <summary>
/// Escalations under the <c>escalation:</c> prefix, and the durable timers: one sorted set
/// scored by due time, so a timer survives restarts and any replica can fire it.
/// </summary>
public sealed class EscalationStore(IConnectionMultiplexer redis)
{
    private const string Prefix = "escalation:";

    public static RedisKey Timers => Prefix + "timers";

    private static RedisKey EscalationKey(string challengeId) => $"{Prefix}escalations:{challengeId}";

    /// <summary>Stores the escalation and its timers unless one is already stored for the challenge.</summary>
    public async Task<bool> OpenAsync(string challengeId, V1.Escalation escalation)
    {
        var transaction = redis.GetDatabase().CreateTransaction();
        transaction.AddCondition(Condition.KeyNotExists(EscalationKey(challengeId)));
        _ = transaction.StringSetAsync(EscalationKey(challengeId), escalation.ToByteArray());
        AddTimer(transaction, challengeId, "acknowledgement", escalation.AcknowledgementDueTime);
        AddTimer(transaction, challengeId, "stage", escalation.StageDueTime);
        AddTimer(transaction, challengeId, "overall", escalation.OverallDueTime);
        return await transaction.ExecuteAsync();
    }

    public async Task<V1.Escalation?> GetAsync(string challengeId)
    {
        var value = await redis.GetDatabase().StringGetAsync(EscalationKey(challengeId));
        return value.IsNull ? null : V1.Escalation.Parser.ParseFrom((byte[])value!);
    }

    private static void AddTimer(ITransaction transaction, string challengeId, string timescale, Google.Protobuf.WellKnownTypes.Timestamp? due)
    {
        if (due is not null)
            _ = transaction.SortedSetAddAsync(Timers, $"{challengeId}|{timescale}", due.ToDateTimeOffset().ToUnixTimeMilliseconds());
    }
}
