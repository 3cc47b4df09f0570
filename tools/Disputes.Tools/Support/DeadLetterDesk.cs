using Disputes.EventBus.Redis;
using Disputes.Outbox.Redis;
using Disputes.Procedure;
using Disputes.Redis;
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
/// topic exactly once. The topic, its dead-letter stream and the audit live in different hash slots on
/// a Redis Cluster, so no one transaction can span them: the replay first claims the dead letter in one
/// MULTI/EXEC in the dead-letter stream's own slot (the entry's removal and a marker keeping the event,
/// guarded by the marker's absence and a WATCH on the stream), then adds the event to the topic, then
/// clears the kept event and writes the audit entry. Racing replays: one claim wins, the others see the
/// marker. A replay cut off after its claim is completed by the next replay of that entry once the claim
/// is older than <see cref="InterruptedAfter"/> (the topic may then get the event twice; consumers drop
/// the second by its id). Consumers that already handled the event drop it the same way.
/// </summary>
public sealed class DeadLetterDesk(IConnectionMultiplexer redis, TimeProvider timeProvider)
{
    /// <summary>A claimed replay whose event is still kept this long after was cut off before it published.</summary>
    public static readonly TimeSpan InterruptedAfter = TimeSpan.FromSeconds(30);

    private const int Attempts = 5;
    private const string KeptSuffix = ":event";

    private IDatabase Db => redis.GetDatabase();

    public static string StreamOf(string topic) => IntegrationEvents.DeadLetterTopicOf(topic);

    /// <summary>
    /// Replays done from a dead-letter stream, in that stream's slot (its name is the hash tag):
    /// field "{entry id}", value "{time} {operator}"; field "{entry id}:event" keeps the event from the
    /// claim until it is on the topic (empty after).
    /// </summary>
    public static RedisKey ReplayedKeyOf(string deadLetterStream) => $"support:{{{deadLetterStream}}}:replayed";

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

    /// <summary>
    /// The dead letters of a service's outbox ("challenge:outbox"): events whose publish failed too often,
    /// over all its partitions, oldest first. Each is named "pNN/{entry id}" (entry ids are unique per stream).
    /// </summary>
    public async Task<(long Total, IReadOnlyList<DeadLetter> DeadLetters)> ListOutboxAsync(string outbox, int limit)
    {
        var streams = OutboxStreams.DeadLetterStreamsOf(AppOfOutbox(outbox));
        var batch = Db.CreateBatch();
        var lengths = streams.Select(s => batch.StreamLengthAsync(s.Stream)).ToArray();
        var firsts = streams.Select(s => batch.StreamRangeAsync(s.Stream, "-", "+", limit)).ToArray();
        batch.Execute();
        var deadLetters = streams
            .SelectMany((s, i) => firsts[i].Result.Select(entry => (Time: StreamIds.TimeOf(entry.Id), Letter: OutboxDeadLetter(outbox, s.Partition, entry))))
            .OrderBy(d => d.Time).ThenBy(d => d.Letter.EntryId, StringComparer.Ordinal)
            .Take(limit)
            .Select(d => d.Letter)
            .ToArray();
        return ((await Task.WhenAll(lengths)).Sum(), deadLetters);
    }

    /// <summary>One dead letter of a service's outbox, named "pNN/{entry id}" as <see cref="ListOutboxAsync"/> names it.</summary>
    public async Task<DeadLetter?> ShowOutboxAsync(string outbox, string entry)
    {
        if (!TryParseOutboxEntry(entry, out var partition, out var entryId))
            return null;
        return await ReadAsync(OutboxStreams.DeadLetterStreamOf(AppOfOutbox(outbox), partition), entryId) is { } found
            ? OutboxDeadLetter(outbox, partition, found)
            : null;
    }

    /// <summary>Whether the text names an outbox dead letter: "pNN/{milliseconds}-{sequence}" with NN a partition.</summary>
    public static bool TryParseOutboxEntry(string text, out int partition, out string entryId)
    {
        (partition, entryId) = (-1, "");
        var slash = text.IndexOf('/');
        if (slash != 3 || text[0] != 'p' || !int.TryParse(text.AsSpan(1, 2), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var p)
            || p >= RedisPartitions.Count || !StreamIds.IsValid(text[(slash + 1)..]))
            return false;
        (partition, entryId) = (p, text[(slash + 1)..]);
        return true;
    }

    private static string AppOfOutbox(string outbox) => outbox[..^OutboxStreams.OutboxSuffix.Length];

    private static DeadLetter OutboxDeadLetter(string outbox, int partition, StreamEntry entry) =>
        DeadLetter.From(outbox, entry, RedisOutbox.EnvelopeField, $"p{partition:D2}/{entry.Id}");

    public async Task<DeadLetterAction> ReplayAsync(string topic, string entryId, string who, string? why)
    {
        var stream = StreamOf(topic);
        var replayed = ReplayedKeyOf(stream);
        for (var attempt = 0; attempt < Attempts; attempt++)
        {
            var earlier = await Db.HashGetAsync(replayed, [entryId, entryId + KeptSuffix]);
            if (!earlier[0].IsNull)
                return await CompleteInterruptedAsync(topic, entryId, earlier[0].ToString(), earlier[1], who, why)
                    ?? new DeadLetterAction(DeadLetterOutcome.AlreadyReplayed, topic, entryId, null, null, $"already replayed ({earlier[0]})");
            var entry = await ReadAsync(stream, entryId);
            if (entry is null)
            {
                // A racing replay may have claimed it between the two reads: its claim removed the entry and
                // marked it in one transaction, so a second look at the marker tells the two apart.
                if (await Db.HashExistsAsync(replayed, entryId))
                    continue;
                return new DeadLetterAction(DeadLetterOutcome.NotFound, topic, entryId, null, null, $"no dead letter {entryId} in {stream}");
            }
            var deadLetter = DeadLetter.From(topic, entry.Value);
            if (!deadLetter.IsCloudEvent)
                return new DeadLetterAction(DeadLetterOutcome.NotReplayable, topic, entryId, deadLetter, null,
                    "the entry holds no CloudEvent: replaying it would only dead-letter it again; discard it with a reason");

            var now = timeProvider.GetUtcNow();
            var data = entry.Value[RedisStreamFields.Data];
            var claim = Db.CreateTransaction();
            claim.AddCondition(Condition.HashNotExists(replayed, entryId));
            // Also WATCHes the stream: any change to it since the read aborts this attempt.
            claim.AddCondition(Condition.StreamLengthEqual(stream, await Db.StreamLengthAsync(stream)));
            _ = claim.StreamDeleteAsync(stream, [entryId]);
            // One field per HSET: the support user may HSET, not HMSET.
            _ = claim.HashSetAsync(replayed, entryId, $"{now.UtcDateTime:O} {who}");
            _ = claim.HashSetAsync(replayed, entryId + KeptSuffix, data);
            if (!await claim.ExecuteAsync())
                continue;
            var added = await PublishKeptAsync(topic, replayed, entryId, data);
            await AuditAsync(who, "replay", now, why, deadLetter, "replayed");
            return new DeadLetterAction(DeadLetterOutcome.Replayed, topic, entryId, deadLetter, added.ToString(), $"replayed to {topic}");
        }
        return new DeadLetterAction(DeadLetterOutcome.Busy, topic, entryId, null, null, $"{stream} kept changing; nothing was done, try again");
    }

    /// <summary>Finishes a replay that claimed the entry and was cut off before the event reached the topic; null when there is none to finish.</summary>
    private async Task<DeadLetterAction?> CompleteInterruptedAsync(string topic, string entryId, string claimed, RedisValue kept, string who, string? why)
    {
        if (kept.IsNullOrEmpty || !DateTimeOffset.TryParse(claimed.Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture,
                System.Globalization.DateTimeStyles.RoundtripKind, out var claimedAt) || timeProvider.GetUtcNow() - claimedAt < InterruptedAfter)
            return null;
        var replayed = ReplayedKeyOf(StreamOf(topic));
        var deadLetter = DeadLetter.From(topic, new StreamEntry(entryId, [new NameValueEntry(RedisStreamFields.Data, kept)]));
        var added = await PublishKeptAsync(topic, replayed, entryId, kept);
        await AuditAsync(who, "replay", timeProvider.GetUtcNow(), why, deadLetter, "replayed (an interrupted replay completed)");
        return new DeadLetterAction(DeadLetterOutcome.Replayed, topic, entryId, deadLetter, added.ToString(),
            $"replayed to {topic} (completing the replay claimed {claimed})");
    }

    private async Task<RedisValue> PublishKeptAsync(string topic, RedisKey replayed, string entryId, RedisValue data)
    {
        var added = await Db.StreamAddAsync(topic, RedisStreamFields.Data, data);
        await Db.HashSetAsync(replayed, entryId + KeptSuffix, "");
        return added;
    }

    /// <summary>
    /// Outbox dead letters replayed, per partition in that partition's slot (the tag is the outbox's):
    /// field "{app}/{entry id}", value "{time} {operator}".
    /// </summary>
    public static RedisKey OutboxReplayedKeyOf(int partition) => $"support:{RedisPartitions.Tag(partition)}:outbox-replayed";

    /// <summary>
    /// Puts an outbox dead letter ("pNN/{entry id}") back in the outbox it came from, once: the service's
    /// relay then publishes it as it publishes every event, through whatever transport the service uses.
    /// The dead letter, the outbox stream and the marker share the partition's slot, so the move is one
    /// transaction; racing replays, one wins and the others see the marker.
    /// </summary>
    public async Task<DeadLetterAction> ReplayOutboxAsync(string outbox, string entry, string who, string? why)
    {
        if (!TryParseOutboxEntry(entry, out var partition, out var entryId))
            return NoOutboxEntry(outbox, entry);
        var app = AppOfOutbox(outbox);
        var deadLetters = OutboxStreams.DeadLetterStreamOf(app, partition);
        var replayed = OutboxReplayedKeyOf(partition);
        var field = $"{app}/{entryId}";
        for (var attempt = 0; attempt < Attempts; attempt++)
        {
            if (await Db.HashGetAsync(replayed, field) is { IsNull: false } earlier)
                return new DeadLetterAction(DeadLetterOutcome.AlreadyReplayed, outbox, entry, null, null, $"already replayed ({earlier})");
            var found = await ReadAsync(deadLetters, entryId);
            if (found is null)
            {
                if (await Db.HashExistsAsync(replayed, field))
                    continue;
                return new DeadLetterAction(DeadLetterOutcome.NotFound, outbox, entry, null, null, $"no dead letter {entry} in {outbox}");
            }
            var deadLetter = OutboxDeadLetter(outbox, partition, found.Value);
            if (!deadLetter.IsCloudEvent)
                return new DeadLetterAction(DeadLetterOutcome.NotReplayable, outbox, entry, deadLetter, null,
                    "the entry holds no CloudEvent: the relay would only dead-letter it again; discard it with a reason");

            var now = timeProvider.GetUtcNow();
            var move = Db.CreateTransaction();
            move.AddCondition(Condition.HashNotExists(replayed, field));
            move.AddCondition(Condition.StreamLengthEqual(deadLetters, await Db.StreamLengthAsync(deadLetters)));
            var added = move.StreamAddAsync(OutboxStreams.StreamOf(app, partition), RedisOutbox.EnvelopeField, found.Value[RedisOutbox.EnvelopeField]);
            _ = move.StreamDeleteAsync(deadLetters, [entryId]);
            _ = move.HashSetAsync(replayed, field, $"{now.UtcDateTime:O} {who}");
            if (!await move.ExecuteAsync())
                continue;
            await AuditAsync(who, "replay", now, why, deadLetter, "put back in the outbox");
            return new DeadLetterAction(DeadLetterOutcome.Replayed, outbox, entry, deadLetter, $"p{partition:D2}/{await added}",
                $"put back in {outbox}; the {app} service's relay publishes it");
        }
        return new DeadLetterAction(DeadLetterOutcome.Busy, outbox, entry, null, null, $"{deadLetters} kept changing; nothing was done, try again");
    }

    /// <summary>Removes an outbox dead letter ("pNN/{entry id}") for good, with a reason.</summary>
    public async Task<DeadLetterAction> DiscardOutboxAsync(string outbox, string entry, string who, string why)
    {
        if (!TryParseOutboxEntry(entry, out var partition, out var entryId))
            return NoOutboxEntry(outbox, entry);
        return await DiscardFromAsync(OutboxStreams.DeadLetterStreamOf(AppOfOutbox(outbox), partition), outbox, entry, entryId,
            found => OutboxDeadLetter(outbox, partition, found), who, why);
    }

    private static DeadLetterAction NoOutboxEntry(string outbox, string entry) =>
        new(DeadLetterOutcome.NotFound, outbox, entry, null, null, $"{entry} names no outbox dead letter (pNN/{{entry id}})");

    public Task<DeadLetterAction> DiscardAsync(string topic, string entryId, string who, string why) =>
        DiscardFromAsync(StreamOf(topic), topic, entryId, entryId, found => DeadLetter.From(topic, found), who, why);

    private async Task<DeadLetterAction> DiscardFromAsync(string stream, string name, string entry, string entryId,
        Func<StreamEntry, DeadLetter> describe, string who, string why)
    {
        if (string.IsNullOrWhiteSpace(why))
            throw new ArgumentException("A discard needs a reason.", nameof(why));
        for (var attempt = 0; attempt < Attempts; attempt++)
        {
            var found = await ReadAsync(stream, entryId);
            if (found is null)
                return new DeadLetterAction(DeadLetterOutcome.NotFound, name, entry, null, null, $"no dead letter {entryId} in {stream}");
            var deadLetter = describe(found.Value);
            var now = timeProvider.GetUtcNow();
            var transaction = Db.CreateTransaction();
            transaction.AddCondition(Condition.StreamLengthEqual(stream, await Db.StreamLengthAsync(stream)));
            _ = transaction.StreamDeleteAsync(stream, [entryId]);
            if (!await transaction.ExecuteAsync())
                continue;
            await AuditAsync(who, "discard", now, why.Trim(), deadLetter, "discarded");
            return new DeadLetterAction(DeadLetterOutcome.Discarded, name, entry, deadLetter, null, "discarded");
        }
        return new DeadLetterAction(DeadLetterOutcome.Busy, name, entry, null, null, $"{stream} kept changing; nothing was done, try again");
    }

    /// <summary>The audit entry, right after the action (the audit stream is in a slot of its own).</summary>
    private Task AuditAsync(string who, string action, DateTimeOffset now, string? why, DeadLetter deadLetter, string outcome) =>
        Db.StreamAddAsync(SupportAudit.StreamKey, SupportAudit.Entry(who, action, now, why, deadLetter, outcome));

    private async Task<StreamEntry?> ReadAsync(RedisKey stream, string entryId)
    {
        if (await Db.KeyTypeAsync(stream) != RedisType.Stream)
            return null;
        var found = await Db.StreamRangeAsync(stream, entryId, entryId, 1);
        return found.Length == 1 ? found[0] : null;
    }
}
