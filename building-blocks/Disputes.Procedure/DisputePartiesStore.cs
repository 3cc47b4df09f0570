using Disputes.EventBus;
using Disputes.Redis;
using Disputes.ServiceDefaults.Grpc;
using Disputes.ServiceDefaults.Identity;
using StackExchange.Redis;

namespace Disputes.Procedure;

/// <summary>
/// The agencies party to each dispute, as a consuming service learnt them from the raised
/// event and kept under its own key prefix: what it needs to decide who may read its part
/// of the dispute without reading another service's store. Written once: the first raised
/// event decides, and an event naming other parties for the same challenge is refused.
/// </summary>
public sealed class DisputePartiesStore(IConnectionMultiplexer redis, string keyPrefix)
{
    // Writes both fields only when the hash does not exist, in one step; answers what is stored
    // afterwards, so the caller can tell a repeat (equal) from a contradiction.
    private static readonly LuaScript WriteOnce = LuaScript.Prepare(
        "if redis.call('EXISTS', @key) == 0 then " +
        "redis.call('HSET', @key, 'raising', @raising, 'receiving', @receiving) return {1, @raising, @receiving} end " +
        "local stored = redis.call('HMGET', @key, 'raising', 'receiving') return {0, stored[1] or '', stored[2] or ''}");

    // In the challenge's slot, beside the service's other keys of the dispute.
    private RedisKey KeyOf(string challengeId) => RedisPartitions.KeyOf(keyPrefix, challengeId, "disputes:" + challengeId);

    /// <summary>
    /// Records the dispute's parties the first time; a repeat naming the same parties is accepted.
    /// Throws <see cref="DisputePartiesConflictException"/> (the event is refused and dead-lettered)
    /// when the challenge already has other parties.
    /// </summary>
    public async Task SaveAsync(string challengeId, DisputeParties parties)
    {
        var outcome = await TrySaveAsync(challengeId, parties);
        if (outcome.Result == PartiesSaveResult.Conflict)
            throw new DisputePartiesConflictException(challengeId, outcome.Stored, parties);
    }

    /// <summary>Records the parties once, atomically, and says whether they were new, a repeat or a contradiction.</summary>
    public async Task<PartiesSaveOutcome> TrySaveAsync(string challengeId, DisputeParties parties)
    {
        var result = (RedisResult[])(await redis.GetDatabase().ScriptEvaluateAsync(WriteOnce,
            new { key = KeyOf(challengeId), raising = parties.RaisingAgencyId, receiving = parties.ReceivingAgencyId }))!;
        var stored = new DisputeParties(result[1].ToString(), result[2].ToString());
        if ((long)result[0] == 1)
            return new PartiesSaveOutcome(PartiesSaveResult.Written, stored);
        var same = stored.RaisingAgencyId == parties.RaisingAgencyId && stored.ReceivingAgencyId == parties.ReceivingAgencyId;
        return new PartiesSaveOutcome(same ? PartiesSaveResult.AlreadyStored : PartiesSaveResult.Conflict, stored);
    }

    public async Task<DisputeParties?> GetAsync(string challengeId)
    {
        var values = await redis.GetDatabase().HashGetAsync(KeyOf(challengeId), ["raising", "receiving"]);
        return values[0].IsNull ? null : new DisputeParties(values[0].ToString(), values[1].ToString());
    }

    /// <summary>
    /// How much of the dispute the caller may see: NOT_FOUND while this service has not heard
    /// of it (its raised event may still be on its way), PERMISSION_DENIED for a non-party.
    /// </summary>
    public async Task<DisputeView> RequireViewAsync(string challengeId, string resourceName, Caller caller)
    {
        var parties = await GetAsync(challengeId) ?? throw RpcErrors.NotFound(resourceName);
        var view = DisputeAccess.ViewFor(caller, parties);
        return view == DisputeView.None
            ? throw RpcErrors.PermissionDenied($"The caller's agency is not a party to {resourceName}.")
            : view;
    }
}

public enum PartiesSaveResult
{
    /// <summary>First time: the parties are now stored.</summary>
    Written,
    /// <summary>The same parties were stored before: nothing changed.</summary>
    AlreadyStored,
    /// <summary>Other parties are stored: nothing changed, and the event naming these must be refused.</summary>
    Conflict,
}

public sealed record PartiesSaveOutcome(PartiesSaveResult Result, DisputeParties Stored);

/// <summary>An event names parties for a challenge other than the ones it was raised with; never applied, never retried.</summary>
public sealed class DisputePartiesConflictException(string challengeId, DisputeParties stored, DisputeParties offered)
    : UnprocessableEventException(
        $"Challenge {challengeId} is between {stored.RaisingAgencyId} and {stored.ReceivingAgencyId}; " +
        $"an event naming {offered.RaisingAgencyId} and {offered.ReceivingAgencyId} is refused.")
{
    public override string Reason => "dispute_parties_conflict";
}
