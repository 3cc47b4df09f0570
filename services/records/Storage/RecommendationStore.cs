using System.Globalization;
using Disputes.V1;
using Google.Protobuf;
using StackExchange.Redis;

namespace Disputes.Records.Storage;

/// <summary>
/// Recommendations under <c>records:recommendations:{challenge}</c> (a hash), and the unsettled
/// ones of every dispute in one sorted set scored by due date, so the overdue list reads only
/// what is still open.
/// </summary>
public sealed class RecommendationStore(IConnectionMultiplexer redis)
{
    private static readonly RedisKey UnsettledKey = $"{RecordStore.Prefix}recommendations:unsettled";

    private static RedisKey KeyOf(string challengeId) => $"{RecordStore.Prefix}recommendations:{challengeId}";

    public static double ScoreOf(string dueDate) =>
        double.Parse(dueDate.Replace("-", "", StringComparison.Ordinal), CultureInfo.InvariantCulture);

    public async Task SaveNewAsync(string challengeId, string id, Recommendation recommendation)
    {
        var transaction = redis.GetDatabase().CreateTransaction();
        transaction.AddCondition(Condition.HashNotExists(KeyOf(challengeId), id));
        _ = transaction.HashSetAsync(KeyOf(challengeId), id, recommendation.ToByteArray());
        _ = transaction.SortedSetAddAsync(UnsettledKey, $"{challengeId}/{id}", ScoreOf(recommendation.DueDate));
        if (!await transaction.ExecuteAsync())
            throw new RedisException("A recommendation with this id exists.");
    }

    /// <summary>Replaces <paramref name="read"/> with <paramref name="updated"/>; false when it changed since it was read.</summary>
    public async Task<bool> TryUpdateAsync(string challengeId, string id, Recommendation read, Recommendation updated, bool settled)
    {
        var transaction = redis.GetDatabase().CreateTransaction();
        transaction.AddCondition(Condition.HashEqual(KeyOf(challengeId), id, read.ToByteArray()));
        _ = transaction.HashSetAsync(KeyOf(challengeId), id, updated.ToByteArray());
        if (settled)
            _ = transaction.SortedSetRemoveAsync(UnsettledKey, $"{challengeId}/{id}");
        return await transaction.ExecuteAsync();
    }

    public async Task<Recommendation?> GetAsync(string challengeId, string id)
    {
        var value = await redis.GetDatabase().HashGetAsync(KeyOf(challengeId), id);
        return value.IsNull ? null : Recommendation.Parser.ParseFrom((byte[])value!);
    }

    public async Task<IReadOnlyList<Recommendation>> ListAsync(string challengeId) =>
        (await redis.GetDatabase().HashValuesAsync(KeyOf(challengeId)))
            .Select(v => Recommendation.Parser.ParseFrom((byte[])v!))
            .OrderBy(r => r.Name, StringComparer.Ordinal)
            .ToArray();

    /// <summary>The unsettled recommendations of every dispute due on or before <paramref name="dueDate"/>, at most <paramref name="take"/>.</summary>
    public async Task<IReadOnlyList<Recommendation>> UnsettledDueByAsync(string dueDate, int take)
    {
        var db = redis.GetDatabase();
        var members = await db.SortedSetRangeByScoreAsync(UnsettledKey, double.NegativeInfinity, ScoreOf(dueDate), take: take);
        var found = new List<Recommendation>();
        foreach (var member in members)
        {
            var text = member.ToString();
            var slash = text.IndexOf('/');
            if (await GetAsync(text[..slash], text[(slash + 1)..]) is { } recommendation)
                found.Add(recommendation);
        }
        return found;
    }
}
