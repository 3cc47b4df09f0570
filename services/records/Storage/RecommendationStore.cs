using System.Globalization;
using Disputes.Redis;
using Disputes.V1;
using Google.Protobuf;
using StackExchange.Redis;

namespace Disputes.Records.Storage;

/// <summary>
/// Recommendations under <c>records:{p07}:recommendations:{challenge}</c> (a hash), and the unsettled
/// ones of every dispute in a sorted set per partition scored by due date, written in the
/// dispute's slot with the recommendation, so the overdue list reads only what is still open.
/// </summary>
public sealed class RecommendationStore(IConnectionMultiplexer redis)
{
    /// <summary>The unsettled recommendations of one partition's disputes.</summary>
    public static RedisKey UnsettledIn(int partition) => RedisPartitions.KeyIn(RecordStore.Prefix, partition, "recommendations:unsettled");

    private static RedisKey UnsettledKey(string challengeId) => UnsettledIn(RedisPartitions.Of(challengeId));

    private static RedisKey KeyOf(string challengeId) => RecordStore.DisputeKey("recommendations", challengeId);

    public static double ScoreOf(string dueDate) =>
        double.Parse(dueDate.Replace("-", "", StringComparison.Ordinal), CultureInfo.InvariantCulture);

    public async Task SaveNewAsync(string challengeId, string id, Recommendation recommendation)
    {
        var transaction = redis.GetDatabase().CreateTransaction();
        transaction.AddCondition(Condition.HashNotExists(KeyOf(challengeId), id));
        _ = transaction.HashSetAsync(KeyOf(challengeId), id, recommendation.ToByteArray());
        _ = transaction.SortedSetAddAsync(UnsettledKey(challengeId), $"{challengeId}/{id}", ScoreOf(recommendation.DueDate));
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
            _ = transaction.SortedSetRemoveAsync(UnsettledKey(challengeId), $"{challengeId}/{id}");
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

    /// <summary>
    /// The unsettled recommendations of every dispute due on or before <paramref name="dueDate"/>,
    /// soonest due first, at most <paramref name="take"/>: every partition's first
    /// <paramref name="take"/> read in one pipeline and merged, then the recommendations in another.
    /// </summary>
    public async Task<IReadOnlyList<Recommendation>> UnsettledDueByAsync(string dueDate, int take)
    {
        var db = redis.GetDatabase();
        var indexBatch = db.CreateBatch();
        var ranges = RedisPartitions.All.Select(p => indexBatch.SortedSetRangeByScoreWithScoresAsync(UnsettledIn(p),
            double.NegativeInfinity, ScoreOf(dueDate), take: take)).ToArray();
        indexBatch.Execute();
        var members = (await Task.WhenAll(ranges)).SelectMany(r => r)
            .OrderBy(e => e.Score).ThenBy(e => e.Element.ToString(), StringComparer.Ordinal)
            .Take(take).Select(e => e.Element.ToString()).ToArray();
        var batch = db.CreateBatch();
        var reads = members.Select(member =>
        {
            var slash = member.IndexOf('/');
            return batch.HashGetAsync(KeyOf(member[..slash]), member[(slash + 1)..]);
        }).ToArray();
        batch.Execute();
        var found = new List<Recommendation>(reads.Length);
        foreach (var read in reads)
        {
            if (await read is { IsNull: false } value)
                found.Add(Recommendation.Parser.ParseFrom((byte[])value!));
        }
        return found;
    }
}
