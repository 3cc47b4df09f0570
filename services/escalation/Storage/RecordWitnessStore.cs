using Disputes.V1;
using Google.Protobuf;
using StackExchange.Redis;

namespace Disputes.Escalation.Storage;

/// <summary>
/// The latest head of each challenge's record, as the records service published it, kept under
/// escalation's own prefix in the challenge's slot (<c>escalation:{p07}:witness:{challenge}</c>) and so under escalation's own
/// Redis user: whoever rewrites the records service's keys cannot roll this back with them.
/// </summary>
public sealed class RecordWitnessStore(IConnectionMultiplexer redis)
{
    // Keeps the witness only when its sequence is higher than the one held: redelivered and
    // overtaken heads change nothing, in one step on the server.
    private static readonly LuaScript Advance = LuaScript.Prepare(
        "local current = tonumber(redis.call('HGET', @key, 'sequence') or '0') " +
        "if tonumber(@sequence) > current then redis.call('HSET', @key, 'sequence', @sequence, 'witness', @witness) return 1 end return 0");

    public static RedisKey KeyOf(string challengeId) => Disputes.EventBus.Redis.RedisPartitions.KeyOf("escalation:", challengeId, "witness:" + challengeId);

    /// <summary>Keeps <paramref name="witness"/> if it is later than the one held; true when it was kept.</summary>
    public async Task<bool> AdvanceAsync(string challengeId, RecordWitness witness)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(witness.Sequence);
        var result = await redis.GetDatabase().ScriptEvaluateAsync(Advance,
            new { key = KeyOf(challengeId), sequence = witness.Sequence, witness = witness.ToByteArray() });
        return (long)result == 1;
    }

    public async Task<RecordWitness?> GetAsync(string challengeId)
    {
        var value = await redis.GetDatabase().HashGetAsync(KeyOf(challengeId), "witness");
        return value.IsNull ? null : RecordWitness.Parser.ParseFrom((byte[])value!);
    }
}
