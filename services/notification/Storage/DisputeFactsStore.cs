using Disputes.Notification.Domain;
using Disputes.Redis;
using Disputes.V1;
using Google.Protobuf;
using StackExchange.Redis;

namespace Disputes.Notification.Storage;

/// <summary>
/// What notification knows of each dispute, under <c>notification:{p07}:facts:{id}</c> (its partition's slot). The parties
/// are written once, from the first raise: a later raise naming other parties is refused
/// (its handler fails, so the bus dead-letters it) and never hands the dispute to another agency.
/// </summary>
public sealed class DisputeFactsStore(IConnectionMultiplexer redis)
{
    public static RedisKey KeyOf(string challengeId) => RedisPartitions.KeyOf(DeliveryStore.Prefix, challengeId, "facts:" + challengeId);

    /// <summary>Saves the facts of a raise unless already saved; false when the saved ones name other parties.</summary>
    public async Task<bool> SaveOnceAsync(DisputeFacts facts)
    {
        var key = KeyOf(facts.ChallengeId);
        var transaction = redis.GetDatabase().CreateTransaction();
        transaction.AddCondition(Condition.KeyNotExists(key));
        _ = transaction.HashSetAsync(key,
        [
            new HashEntry("referrer", facts.Referrer.ToByteArray()),
            new HashEntry("receiving", facts.ReceivingProfessional.ToByteArray()),
            new HashEntry("cp", facts.ChildOnProtectionPlan),
            new HashEntry("lac", facts.ChildLookedAfter),
            new HashEntry("la", facts.LocalAuthorityId),
            new HashEntry("iro", facts.IroProfessionalId),
        ]);
        if (await transaction.ExecuteAsync())
            return true;
        var saved = await GetAsync(facts.ChallengeId);
        return saved is not null && saved.SamePartiesAs(facts);
    }

    public async Task<DisputeFacts?> GetAsync(string challengeId)
    {
        var values = await redis.GetDatabase().HashGetAsync(KeyOf(challengeId), ["referrer", "receiving", "cp", "lac", "la", "iro", "chair"]);
        if (values[0].IsNull || values[1].IsNull)
            return null;
        return new DisputeFacts(
            challengeId,
            Party.Parser.ParseFrom((byte[])values[0]!),
            Party.Parser.ParseFrom((byte[])values[1]!),
            (bool)values[2],
            (bool)values[3],
            values[4].ToString(),
            values[5].ToString(),
            values[6].IsNull ? null : Party.Parser.ParseFrom((byte[])values[6]!));
    }

    /// <summary>The chair appointed at stage 4, who may then read the dispute's deliveries.</summary>
    public Task SaveChairAsync(string challengeId, Party chair) =>
        redis.GetDatabase().HashSetAsync(KeyOf(challengeId), "chair", DisputeFacts.Copy(chair).ToByteArray());
}
