using Disputes.Records.Domain;
using Disputes.Redis;
using Disputes.V1;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using StackExchange.Redis;

namespace Disputes.Records.Storage;

/// <summary>Legal holds (<c>records:{p07}:hold:{challenge}</c>) and the purge of expired narrative.</summary>
public sealed class RetentionStore(IConnectionMultiplexer redis)
{
    private static RedisKey HoldKey(string challengeId) => RecordStore.DisputeKey("hold", challengeId);

    public Task SetHoldAsync(string challengeId, LegalHold hold) => hold.Hold
        ? redis.GetDatabase().StringSetAsync(HoldKey(challengeId), hold.ToByteArray())
        : redis.GetDatabase().KeyDeleteAsync(HoldKey(challengeId));

    public async Task<LegalHold?> GetHoldAsync(string challengeId)
    {
        var value = await redis.GetDatabase().StringGetAsync(HoldKey(challengeId));
        return value.IsNull ? null : LegalHold.Parser.ParseFrom((byte[])value!);
    }

    /// <summary>Every challenge id the record knows, partition by partition, each in raise order, a page at a time.</summary>
    public async IAsyncEnumerable<string> ChallengeIdsAsync()
    {
        const int page = 1_000;
        foreach (var partition in RedisPartitions.All)
        {
            for (long start = 0; ; start += page)
            {
                var ids = await redis.GetDatabase().SortedSetRangeByRankAsync(RecordStore.ReportIndexIn(partition), start, start + page - 1);
                foreach (var id in ids)
                    yield return id.ToString();
                if (ids.Length < page)
                    break;
            }
        }
    }

    /// <summary>
    /// Replaces each entry that still has narrative with its stub and drops draft minutes, if the
    /// head has not moved since <paramref name="head"/>; false when it has (purge again later).
    /// </summary>
    public async Task<bool> TryPurgeAsync(string challengeId, RecordHead head, IReadOnlyList<RecordEntry> entries, DateTimeOffset now)
    {
        var transaction = redis.GetDatabase().CreateTransaction();
        transaction.AddCondition(Condition.StringEqual(RecordStore.HeadKey(challengeId), head.ToString()));
        for (var i = 0; i < entries.Count; i++)
        {
            if (entries[i].PurgeTime is null && entries[i].Kind != RecordEntryKind.Purged)
                _ = transaction.ListSetByIndexAsync(RecordStore.EntriesKey(challengeId), i, RecordChain.Purged(entries[i], now).ToByteArray());
        }
        _ = transaction.KeyDeleteAsync(RecordStore.DraftsKey(challengeId));
        return await transaction.ExecuteAsync();
    }
}
