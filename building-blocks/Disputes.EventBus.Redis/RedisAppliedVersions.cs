using Disputes.Redis;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Disputes.EventBus.Redis;

/// <summary>
/// The last applied challenge version per challenge, under the app's own prefix in the challenge's
/// slot (<c>{app}:{pNN}:versions:{challenge id}</c>, beside the app's other keys of that dispute), advanced by an atomic compare-and-set in Redis so two
/// replicas handling events of one challenge never both apply the same or an older version.
/// </summary>
public sealed class RedisAppliedVersions(IConnectionMultiplexer redis, IOptions<EventBusOptions> options) : IAppliedVersions
{
    // Sets the key to ARGV[1] only when it holds less; returns 1 when it did.
    private static readonly LuaScript Advance = LuaScript.Prepare(
        "local current = tonumber(redis.call('GET', @key) or '0') " +
        "if tonumber(@version) > current then redis.call('SET', @key, @version) return 1 end return 0");

    public async Task<long> GetAsync(string challengeId)
    {
        var value = await redis.GetDatabase().StringGetAsync(KeyOf(challengeId));
        return value.IsNull ? 0 : (long)value;
    }

    public async Task<bool> TryAdvanceAsync(string challengeId, long version)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(version);
        var result = await redis.GetDatabase().ScriptEvaluateAsync(Advance, new { key = KeyOf(challengeId), version });
        return (long)result == 1;
    }

    public RedisKey KeyOf(string challengeId) => RedisPartitions.KeyOf(options.Value.AppId + ":", challengeId, "versions:" + challengeId);
}
