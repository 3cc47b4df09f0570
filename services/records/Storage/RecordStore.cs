using Disputes.Records.Domain;
using Disputes.ServiceDefaults.Grpc;
using Disputes.V1;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using StackExchange.Redis;

namespace Disputes.Records.Storage;

/// <summary>
/// The minuted record under the <c>records:</c> prefix: an append-only list per dispute and
/// its head (sequence and hash). An append is one transaction conditioned on the head it
/// read, so concurrent appends never fork the chain, and on the source event, so a
/// redelivered event is never recorded twice.
/// </summary>
public sealed class RecordStore(IConnectionMultiplexer redis, TimeProvider timeProvider)
{
    public const string Prefix = "records:";
    private const int MaxAppendAttempts = 64;

    private static RedisKey EntriesKey(string challengeId) => $"{Prefix}entries:{challengeId}";

    private static RedisKey HeadKey(string challengeId) => $"{Prefix}head:{challengeId}";

    private static RedisKey SourceEventKey(string eventId) => $"{Prefix}events:{eventId}";

    /// <summary>Appends the entry; null when its source event is already recorded.</summary>
    public async Task<RecordEntry?> AppendAsync(string challengeId, RecordEntry entry, string traceId, string? sourceEventId)
    {
        var db = redis.GetDatabase();
        for (var attempt = 0; attempt < MaxAppendAttempts; attempt++)
        {
            var head = await db.StringGetAsync(HeadKey(challengeId));
            var (sequence, previousHash) = ParseHead(head);

            var sealedEntry = entry.Clone();
            sealedEntry.Name = $"{ResourceNames.Challenge(challengeId)}/entries/{SortableId.New(timeProvider)}";
            sealedEntry.Sequence = sequence + 1;
            sealedEntry.RecordTime = Timestamp.FromDateTimeOffset(timeProvider.GetUtcNow());
            sealedEntry.TraceId = traceId;
            sealedEntry.SourceEventId = sourceEventId ?? "";
            RecordChain.Seal(sealedEntry, previousHash);

            var transaction = db.CreateTransaction();
            transaction.AddCondition(head.IsNull ? Condition.KeyNotExists(HeadKey(challengeId)) : Condition.StringEqual(HeadKey(challengeId), head));
            if (sourceEventId is not null)
            {
                transaction.AddCondition(Condition.KeyNotExists(SourceEventKey(sourceEventId)));
                _ = transaction.StringSetAsync(SourceEventKey(sourceEventId), sealedEntry.Name);
            }
            _ = transaction.ListRightPushAsync(EntriesKey(challengeId), sealedEntry.ToByteArray());
            _ = transaction.StringSetAsync(HeadKey(challengeId), $"{sealedEntry.Sequence}:{sealedEntry.Hash}");
            if (await transaction.ExecuteAsync())
                return sealedEntry;

            if (sourceEventId is not null && await db.KeyExistsAsync(SourceEventKey(sourceEventId)))
                return null;
            // Another append won the race; back off a little, at random, so the writers spread out.
            await Task.Delay(TimeSpan.FromMilliseconds(Random.Shared.Next(1, 4 + attempt)), timeProvider);
        }
        throw new RedisException($"The record of {challengeId} kept changing during {MaxAppendAttempts} append attempts.");
    }

    /// <summary>Entries in record order, from position <paramref name="skip"/>.</summary>
    public async Task<IReadOnlyList<RecordEntry>> ListAsync(string challengeId, long skip = 0, long take = -1)
    {
        var stop = take < 0 ? -1 : skip + take - 1;
        var values = await redis.GetDatabase().ListRangeAsync(EntriesKey(challengeId), skip, stop);
        return values.Select(v => RecordEntry.Parser.ParseFrom((byte[])v!)).ToArray();
    }

    public Task<long> CountAsync(string challengeId) => redis.GetDatabase().ListLengthAsync(EntriesKey(challengeId));

    private static (long Sequence, string Hash) ParseHead(RedisValue head)
    {
        if (head.IsNull)
            return (0, "");
        var text = head.ToString();
        var separator = text.IndexOf(':');
        return (long.Parse(text[..separator], System.Globalization.CultureInfo.InvariantCulture), text[(separator + 1)..]);
    }
}
