using Disputes.EventBus;
using Disputes.EventBus.Redis;
using StackExchange.Redis;

namespace Disputes.Tools.Support;

public enum DeadLetterOutcome
{
    Replayed,
    AlreadyReplayed,
    Discarded,
    NotFound,
    NotReplayable,
    Busy,
}

/// <summary>The result of a replay or discard: what happened, to which dead letter, and where a replay went.</summary>
public sealed record DeadLetterAction(DeadLetterOutcome Outcome, string Topic, string EntryId, DeadLetter? DeadLetter, string? ReplayedEntryId, string Detail);

/// <summary>
/// Lists, shows, replays and discards a topic's dead letters. A replay puts the CloudEvent back on its
/// topic exactly once: the XADD to the topic, the XDEL from the dead-letter stream, a marker keyed by
/// the dead-letter entry id and the audit entry are one MULTI/EXEC, guarded by the marker's absence and
/// a WATCH on the dead-letter stream. Consumers that already handled the event drop it by its id.
/// </summary>
public sealed class DeadLetterDesk(IConnectionMultiplexer redis, TimeProvider timeProvider)
{
    /// <summary>Replays done, field "{dead-letter stream}/{entry id}", value "{time} {operator}".</summary>
    public static readonly RedisKey ReplayedKey = "support:replayed";

    private const int Attempts = 5;

    private IDatabase Db => redis.GetDatabase();

    public static string StreamOf(string topic) => IntegrationEvents.DeadLetterTopicOf(topic);

    public async Task<(long Total, IReadOnlyList<DeadLetter> DeadLetters)> ListAsync(string topic, int limit)
    {
        var stream = StreamOf(topic);
        if (await Db.KeyTypeAsync(stream) != RedisType.Stream)
            return (0, []);
        var entries = await Db.StreamRangeAsync(stream, "-", "+", limit);
        return (await Db.StreamLengthAsync(stream), entries.Select(e => DeadLetter.From(topic, e)).ToArray());
    }

    public async Task<DeadLetter?> ShowAsync(string topic, string entryId) =>
        await ReadAsync(StreamOf(topic), entryId) is { } entry ? DeadLetter.From(topic, entry) : null;

    public async Task<DeadLetterAction> ReplayAsync(string topic, string entryId, string who, string? why)
    {
        var stream = StreamOf(topic);
        var marker = $"{stream}/{entryId}";
        for (var attempt = 0; attempt < Attempts; attempt++)
        {
            var entry = await ReadAsync(stream, entryId);
            if (entry is null || await Db.HashExistsAsync(ReplayedKey, marker))
            {
                var earlier = await Db.HashGetAsync(ReplayedKey, marker);
                return earlier.IsNull
                    ? new DeadLetterAction(DeadLetterOutcome.NotFound, topic, entryId, null, null, $"no dead letter {entryId} in {stream}")
                    : new DeadLetterAction(DeadLetterOutcome.AlreadyReplayed, topic, entryId, null, null, $"already replayed ({earlier})");
            }
            var deadLetter = DeadLetter.From(topic, entry.Value);
            if (!deadLetter.IsCloudEvent)
                return new DeadLetterAction(DeadLetterOutcome.NotReplayable, topic, entryId, deadLetter, null,
                    "the entry holds no CloudEvent: replaying it would only dead-letter it again; discard it with a reason");

            var now = timeProvider.GetUtcNow();
            var transaction = Db.CreateTransaction();
            transaction.AddCondition(Condition.HashNotExists(ReplayedKey, marker));
            // Also WATCHes the stream: any change to it since the read aborts this attempt.
            transaction.AddCondition(Condition.StreamLengthEqual(stream, await Db.StreamLengthAsync(stream)));
            var added = transaction.StreamAddAsync(topic, RedisStreamFields.Data, entry.Value[RedisStreamFields.Data]);
            _ = transaction.StreamDeleteAsync(stream, [entryId]);
            _ = transaction.HashSetAsync(ReplayedKey, marker, $"{now.UtcDateTime:O} {who}");
            _ = transaction.StreamAddAsync(SupportAudit.StreamKey, SupportAudit.Entry(who, "replay", now, why, deadLetter, "replayed"));
            if (await transaction.ExecuteAsync())
                return new DeadLetterAction(DeadLetterOutcome.Replayed, topic, entryId, deadLetter, (await added).ToString(), $"replayed to {topic}");
        }
        return new DeadLetterAction(DeadLetterOutcome.Busy, topic, entryId, null, null, $"{stream} kept changing; nothing was done, try again");
    }

    public async Task<DeadLetterAction> DiscardAsync(string topic, string entryId, string who, string why)
    {
        if (string.IsNullOrWhiteSpace(why))
            throw new ArgumentException("A discard needs a reason.", nameof(why));
        var stream = StreamOf(topic);
        for (var attempt = 0; attempt < Attempts; attempt++)
        {
            var entry = await ReadAsync(stream, entryId);
            if (entry is null)
                return new DeadLetterAction(DeadLetterOutcome.NotFound, topic, entryId, null, null, $"no dead letter {entryId} in {stream}");
            var deadLetter = DeadLetter.From(topic, entry.Value);
            var now = timeProvider.GetUtcNow();
            var transaction = Db.CreateTransaction();
            transaction.AddCondition(Condition.StreamLengthEqual(stream, await Db.StreamLengthAsync(stream)));
            _ = transaction.StreamDeleteAsync(stream, [entryId]);
            _ = transaction.StreamAddAsync(SupportAudit.StreamKey, SupportAudit.Entry(who, "discard", now, why.Trim(), deadLetter, "discarded"));
            if (await transaction.ExecuteAsync())
                return new DeadLetterAction(DeadLetterOutcome.Discarded, topic, entryId, deadLetter, null, "discarded");
        }
        return new DeadLetterAction(DeadLetterOutcome.Busy, topic, entryId, null, null, $"{stream} kept changing; nothing was done, try again");
    }

    private async Task<StreamEntry?> ReadAsync(RedisKey stream, string entryId)
    {
        if (await Db.KeyTypeAsync(stream) != RedisType.Stream)
            return null;
        var found = await Db.StreamRangeAsync(stream, entryId, entryId, 1);
        return found.Length == 1 ? found[0] : null;
    }
}
