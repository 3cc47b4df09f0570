using Disputes.EventBus;
using Disputes.EventBus.Redis;
using Google.Protobuf;
using StackExchange.Redis;

namespace Disputes.Challenge.Storage;

/// <summary>
/// Challenges in Redis under the <c>challenge:</c> prefix. Every change is written in one
/// transaction with the events it causes (the outbox), so neither exists without the other.
/// </summary>
public sealed class ChallengeStore(IConnectionMultiplexer redis, RedisOutbox outbox)
{
    private const string Prefix = "challenge:";
    private static readonly TimeSpan RequestIdRetention = TimeSpan.FromDays(30);

    /// <summary>All challenges, newest first (ids sort by creation time).</summary>
    public static RedisKey AllIndex => Prefix + "index:all";

    public static RedisKey AgencyIndex(string agencyId) => $"{Prefix}index:agency:{agencyId}";

    private static RedisKey ChallengeKey(string id) => $"{Prefix}challenges:{id}";

    private static RedisKey RequestKey(string agencyId, string professionalId, string requestId) =>
        $"{Prefix}requests:{agencyId}:{professionalId}:{requestId}";

    /// <summary>
    /// Stores a new challenge with its events. With a request id already used by this
    /// professional, nothing is written and the challenge raised then is returned.
    /// </summary>
    public async Task<(V1.Challenge Challenge, bool Created)> CreateAsync(V1.Challenge challenge, string requestId, IEnumerable<EventEnvelope> events)
    {
        var db = redis.GetDatabase();
        var id = challenge.Name[(challenge.Name.IndexOf('/') + 1)..];
        var transaction = db.CreateTransaction();
        // A condition, not SET NX: a failed SET NX inside MULTI would still commit the rest.
        transaction.AddCondition(Condition.KeyNotExists(ChallengeKey(id)));
        RedisKey? requestKey = null;
        if (requestId.Length > 0)
        {
            requestKey = RequestKey(challenge.RaisingParty.AgencyId, challenge.RaisingParty.ProfessionalId, requestId);
            transaction.AddCondition(Condition.KeyNotExists(requestKey.Value));
            _ = transaction.StringSetAsync(requestKey.Value, id, RequestIdRetention);
        }
        _ = transaction.StringSetAsync(ChallengeKey(id), challenge.ToByteArray());
        _ = transaction.SortedSetAddAsync(AllIndex, id, 0);
        _ = transaction.SortedSetAddAsync(AgencyIndex(challenge.RaisingParty.AgencyId), id, 0);
        _ = transaction.SortedSetAddAsync(AgencyIndex(challenge.ReceivingParty.AgencyId), id, 0);
        foreach (var envelope in events)
            outbox.Add(transaction, envelope);

        if (await transaction.ExecuteAsync())
            return (challenge, true);

        // Nothing was written. Either the request id was used before, or (80 random bits
        // later) the id was: the caller's retry then gets a fresh one.
        var existingId = requestKey is null ? null : (string?)await db.StringGetAsync(requestKey.Value);
        var existing = existingId is null ? null : await GetAsync(existingId);
        return existing is null
            ? throw new RedisException($"{challenge.Name} could not be stored; nothing was written.")
            : (existing, false);
    }

    public async Task<V1.Challenge?> GetAsync(string id)
    {
        var value = await redis.GetDatabase().StringGetAsync(ChallengeKey(id));
        return value.IsNull ? null : V1.Challenge.Parser.ParseFrom((byte[])value!);
    }

    /// <summary>Ids from an index, newest first, strictly older than <paramref name="before"/> when given.</summary>
    public async Task<IReadOnlyList<string>> PageIdsAsync(RedisKey index, string? before, int take)
    {
        var ids = await redis.GetDatabase().SortedSetRangeByValueAsync(index,
            min: default, max: before is null ? default : (RedisValue)before,
            exclude: Exclude.Stop, order: Order.Descending, skip: 0, take: take);
        return ids.Select(v => v.ToString()).ToArray();
    }

    /// <summary>The challenges with these ids, in the same order; null where one is not stored.</summary>
    public async Task<IReadOnlyList<V1.Challenge?>> GetManyAsync(IReadOnlyList<string> ids)
    {
        if (ids.Count == 0)
            return [];
        var values = await redis.GetDatabase().StringGetAsync(ids.Select(ChallengeKey).ToArray());
        return values.Select(v => v.IsNull ? null : V1.Challenge.Parser.ParseFrom((byte[])v!)).ToArray();
    }
}
