using Disputes.ServiceDefaults.Grpc;
using StackExchange.Redis;

namespace Disputes.ServiceDefaults.Identity;

/// <summary>
/// The agencies party to each dispute, as a consuming service learnt them from the raised
/// event and kept under its own key prefix: what it needs to decide who may read its part
/// of the dispute without reading another service's store.
/// </summary>
public sealed class DisputePartiesStore(IConnectionMultiplexer redis, string keyPrefix)
{
    private RedisKey KeyOf(string challengeId) => $"{keyPrefix}disputes:{challengeId}";

    public Task SaveAsync(string challengeId, DisputeParties parties) =>
        redis.GetDatabase().HashSetAsync(KeyOf(challengeId),
        [
            new HashEntry("raising", parties.RaisingAgencyId),
            new HashEntry("receiving", parties.ReceivingAgencyId),
        ]);

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
