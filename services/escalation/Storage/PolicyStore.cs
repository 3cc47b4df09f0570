using Disputes.Escalation.Domain;
using Disputes.V1;
using Google.Protobuf;
using StackExchange.Redis;

namespace Disputes.Escalation.Storage;

/// <summary>
/// Timescale policies under <c>escalation:policies:</c>: one list per policy, version n at
/// index n - 1. Versions are only ever appended, so a challenge's version never changes.
/// </summary>
public sealed class PolicyStore(IConnectionMultiplexer redis)
{
    private const string Prefix = "escalation:policies:";

    private static RedisKey VersionsKey(string policyId) => Prefix + policyId;

    /// <summary>Appends <paramref name="policy"/> as the next version if nobody appended one meanwhile.</summary>
    public async Task<bool> AppendAsync(string policyId, TimescalePolicy policy)
    {
        var transaction = redis.GetDatabase().CreateTransaction();
        transaction.AddCondition(Condition.ListLengthEqual(VersionsKey(policyId), policy.Version - 1));
        _ = transaction.ListRightPushAsync(VersionsKey(policyId), policy.ToByteArray());
        return await transaction.ExecuteAsync();
    }

    public async Task<long> CountAsync(string policyId) => await redis.GetDatabase().ListLengthAsync(VersionsKey(policyId));

    /// <summary>Version <paramref name="version"/>, or the newest for 0.</summary>
    public async Task<TimescalePolicy?> GetAsync(string policyId, int version)
    {
        var value = await redis.GetDatabase().ListGetByIndexAsync(VersionsKey(policyId), version == 0 ? -1 : version - 1);
        return value.IsNull ? null : TimescalePolicy.Parser.ParseFrom((byte[])value!);
    }

    /// <summary>Versions newest first, starting below <paramref name="belowVersion"/> (0 = from the newest).</summary>
    public async Task<IReadOnlyList<TimescalePolicy>> ListAsync(string policyId, int belowVersion, int take)
    {
        var count = await CountAsync(policyId);
        var top = belowVersion <= 0 ? count : Math.Min(count, belowVersion - 1);
        if (top <= 0)
            return [];
        var start = Math.Max(0, top - take);
        var values = await redis.GetDatabase().ListRangeAsync(VersionsKey(policyId), start, top - 1);
        return values.Select(v => TimescalePolicy.Parser.ParseFrom((byte[])v!)).Reverse().ToArray();
    }

    /// <summary>The built-in default as version 1 of "default", once; a second call changes nothing.</summary>
    public Task EnsureDefaultAsync() => AppendAsync("default", TimescalePolicies.Default);
}
