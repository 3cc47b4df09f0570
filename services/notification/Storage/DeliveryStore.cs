using Disputes.EventBus;
using Disputes.EventBus.Redis;
using Disputes.Notification.Domain;
using Disputes.Outbox.Redis;
using Disputes.Redis;
using Disputes.V1;
using Google.Protobuf;
using StackExchange.Redis;

namespace Disputes.Notification.Storage;

/// <summary>
/// The delivery log under the <c>notification:</c> prefix. Each delivery is one hash field
/// (<c>deliveries:{challenge}</c>, keyed by its deterministic id) and one member of each index
/// (by challenge, agency and recipient; members sort by creation), written in one transaction
/// with what it causes: the agency's watch stream entry, the send job, the
/// NotificationDelivered event in the outbox.
/// </summary>
/// <remarks>
/// Laid out for Redis Cluster: everything that transaction writes lies in the dispute's partition
/// (<c>notification:{p07}:…</c>): the dispute's deliveries, its index and its event markers are
/// tagged with it, and what spans disputes (the agency and recipient indexes, the agency watch
/// streams, the send queue and its dead letters) is one key per partition, merged on read.
/// </remarks>
public sealed class DeliveryStore(IConnectionMultiplexer redis, RedisOutbox outbox, RedisProcessedEvents? processedEvents = null)
{
    public const string Prefix = "notification:";
    public const string ChallengeField = "challenge";
    public const string DeliveryIdField = "id";

    /// <summary>A partition's webhook and email deliveries waiting to be sent; consumed by <c>DeliverySender</c>.</summary>
    public static RedisKey SendQueue(int partition) => RedisPartitions.KeyIn(Prefix, partition, "sends");

    /// <summary>A partition's deliveries given up on, for an operator to inspect.</summary>
    public static RedisKey DeadLetters(int partition) => RedisPartitions.KeyIn(Prefix, partition, "sends-deadletter");

    /// <summary>How long an event's deliveries are remembered as made: far beyond any redelivery.</summary>
    public static readonly TimeSpan EventMarkerRetention = TimeSpan.FromDays(30);

    /// <summary>Entries kept per agency watch stream: a watcher offline longer than this many deliveries resumes from the oldest kept.</summary>
    public const int AgencyStreamLength = 100_000;

    /// <summary>The agency watch stream is one stream per partition, each keeping its share of <see cref="AgencyStreamLength"/>.</summary>
    public const int AgencyStreamLengthPerPartition = AgencyStreamLength / RedisPartitions.Count;

    /// <summary>Raised once this process queues a send job; the sender waits on it instead of polling.</summary>
    public OutboxSignal Queued { get; } = new();

    /// <summary>The watch streams of this process, woken when a delivery for their agency is written here.</summary>
    public DeliveryWatchers Watchers { get; } = new();

    public static RedisKey DeliveriesKey(string challengeId) => RedisPartitions.KeyOf(Prefix, challengeId, "deliveries:" + challengeId);

    /// <summary>The event's deliveries were written: in its dispute's slot, so it guards the same transaction.</summary>
    public static RedisKey EventMarker(string challengeId, string eventId) => RedisPartitions.KeyOf(Prefix, challengeId, "events:" + eventId);

    public static RedisKey ChallengeIndex(string challengeId) => RedisPartitions.KeyOf(Prefix, challengeId, "index:challenge:" + challengeId);

    public static RedisKey AgencyIndex(string agencyId, int partition) => RedisPartitions.KeyIn(Prefix, partition, $"index:agency:{agencyId}");

    public static IReadOnlyList<RedisKey> AgencyIndexes(string agencyId) => RedisPartitions.All.Select(p => AgencyIndex(agencyId, p)).ToArray();

    public static RedisKey RecipientIndex(string agencyId, string professionalId, int partition) =>
        RedisPartitions.KeyIn(Prefix, partition, $"index:recipient:{agencyId}:{professionalId}");

    public static IReadOnlyList<RedisKey> RecipientIndexes(string agencyId, string professionalId) =>
        RedisPartitions.All.Select(p => RecipientIndex(agencyId, professionalId, p)).ToArray();

    public static RedisKey AgencyStream(string agencyId, int partition) => RedisPartitions.KeyIn(Prefix, partition, $"stream:{agencyId}");

    /// <summary>
    /// Writes every delivery of one event about one challenge at once, unless that event's deliveries
    /// were already written (a redelivery, or a retry after a crash): then nothing is written and false
    /// returned. With the event's context, its processed mark is written in the same transaction.
    /// </summary>
    public async Task<bool> CreateAsync(string challengeId, string eventId, IReadOnlyList<Delivery> deliveries, IReadOnlyList<EventEnvelope> events,
        EventContext? context = null)
    {
        var partition = RedisPartitions.Of(challengeId);
        var transaction = redis.GetDatabase().CreateTransaction();
        if (context is not null)
            processedEvents?.MarkProcessed(transaction, context);
        var marker = EventMarker(challengeId, eventId);
        transaction.AddCondition(Condition.KeyNotExists(marker));
        _ = transaction.StringSetAsync(marker, deliveries.Count, EventMarkerRetention);
        var queued = false;
        var streamed = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < deliveries.Count; i++)
        {
            var delivery = deliveries[i];
            var (deliveryChallengeId, deliveryId) = IdsOf(delivery.Name);
            if (deliveryChallengeId != challengeId)
                throw new ArgumentException($"{delivery.Name} is not a delivery of challenges/{challengeId}.", nameof(deliveries));
            _ = transaction.HashSetAsync(DeliveriesKey(challengeId), deliveryId, Stored(delivery));
            var member = IndexMember(delivery, i, challengeId, deliveryId);
            _ = transaction.SortedSetAddAsync(ChallengeIndex(challengeId), ChallengeIndexMember(delivery, i, deliveryId), 0);
            _ = transaction.SortedSetAddAsync(AgencyIndex(delivery.Recipient.AgencyId, partition), member, 0);
            if (delivery.Recipient.ProfessionalId.Length > 0)
                _ = transaction.SortedSetAddAsync(RecipientIndex(delivery.Recipient.AgencyId, delivery.Recipient.ProfessionalId, partition), member, 0);
            if (delivery.Channel == Channel.Stream)
            {
                // The entry names the delivery, which the log keeps anyway (a stream delivery never changes): not a second copy.
                _ = transaction.StreamAddAsync(AgencyStream(delivery.Recipient.AgencyId, partition),
                    [new NameValueEntry(ChallengeField, challengeId), new NameValueEntry(DeliveryIdField, deliveryId)],
                    maxLength: AgencyStreamLengthPerPartition, useApproximateMaxLength: true);
                streamed.Add(delivery.Recipient.AgencyId);
            }
            else if (delivery.Status == DeliveryStatus.Pending)
            {
                _ = transaction.StreamAddAsync(SendQueue(partition),
                    [new NameValueEntry(ChallengeField, challengeId), new NameValueEntry(DeliveryIdField, deliveryId)]);
                queued = true;
            }
        }
        foreach (var envelope in events)
            outbox.Add(transaction, envelope);
        if (!await transaction.ExecuteAsync())
            return false;
        // Only after the commit: a woken reader must find what woke it.
        if (queued)
            Queued.Notify();
        Watchers.Notify(streamed);
        return true;
    }

    public async Task<Delivery?> GetAsync(string challengeId, string deliveryId)
    {
        var value = await redis.GetDatabase().HashGetAsync(DeliveriesKey(challengeId), deliveryId);
        return value.IsNull ? null : Read(challengeId, deliveryId, value);
    }

    /// <summary>
    /// Records a pending delivery's outcome with its NotificationDelivered event, acknowledging and
    /// removing the send job (a done job is not kept); a given-up delivery also goes to the dead letters.
    /// Only the first of two racing senders wins (the stored delivery must still be the one it read).
    /// </summary>
    public async Task<bool> CompleteAsync(Delivery read, Delivery completed, EventEnvelope delivered, RedisValue sendEntryId, string sendGroup)
    {
        var (challengeId, deliveryId) = IdsOf(completed.Name);
        var partition = RedisPartitions.Of(challengeId);
        var transaction = redis.GetDatabase().CreateTransaction();
        transaction.AddCondition(Condition.HashEqual(DeliveriesKey(challengeId), deliveryId, Stored(read)));
        _ = transaction.HashSetAsync(DeliveriesKey(challengeId), deliveryId, Stored(completed));
        if (completed.Status == DeliveryStatus.Failed)
        {
            _ = transaction.StreamAddAsync(DeadLetters(partition),
                [new NameValueEntry(ChallengeField, challengeId), new NameValueEntry(DeliveryIdField, deliveryId)]);
        }
        outbox.Add(transaction, delivered);
        _ = transaction.StreamAcknowledgeAsync(SendQueue(partition), sendGroup, sendEntryId);
        _ = transaction.StreamDeleteAsync(SendQueue(partition), [sendEntryId]);
        return await transaction.ExecuteAsync();
    }

    /// <summary>
    /// Deliveries from an index in creation order, strictly after <paramref name="after"/>, at most
    /// <paramref name="take"/> index members. An index spread over partitions is read in one batch (the
    /// first <paramref name="take"/> of each) and merged: members are unique, so that is exactly the
    /// first <paramref name="take"/> of the whole index.
    /// </summary>
    /// <param name="challengeId">The challenge whose own index this is (its members leave the challenge out); null for the cross-dispute indexes.</param>
    public async Task<IReadOnlyList<(string Position, Delivery? Delivery)>> PageAsync(IReadOnlyList<RedisKey> indexes, string? after, int take,
        string? challengeId = null)
    {
        var db = redis.GetDatabase();
        var ranges = db.CreateBatch();
        var reads = indexes.Select(index => ranges.SortedSetRangeByValueAsync(index,
            min: after is null ? default : (RedisValue)after, max: default,
            exclude: after is null ? Exclude.None : Exclude.Start, order: Order.Ascending, skip: 0, take: take)).ToArray();
        ranges.Execute();
        var merged = new List<string>();
        foreach (var read in reads)
            merged.AddRange((await read).Select(m => m.ToString()));
        merged.Sort(StringComparer.Ordinal);
        var members = merged.Count > take ? merged.GetRange(0, take) : merged;
        var batch = db.CreateBatch();
        var deliveries = members.Select(m =>
        {
            var parts = m.Split('|');
            var (ofChallenge, deliveryId) = challengeId is null ? (parts[1], parts[2]) : (challengeId, parts[1]);
            return (Position: m, ChallengeId: ofChallenge, DeliveryId: deliveryId, Read: batch.HashGetAsync(DeliveriesKey(ofChallenge), deliveryId));
        }).ToArray();
        batch.Execute();
        var page = new List<(string, Delivery?)>(deliveries.Length);
        foreach (var (position, ofChallenge, deliveryId, read) in deliveries)
        {
            var value = await read;
            page.Add((position, value.IsNull ? null : Read(ofChallenge, deliveryId, value)));
        }
        return page;
    }

    /// <summary>
    /// Entries of an agency's watch streams strictly after <paramref name="cursor"/>, at most
    /// <paramref name="count"/> per partition, each partition in its own order, partitions merged by entry
    /// id, with the delivery each names (null if it is no longer stored: the watch moves past it).
    /// </summary>
    public async Task<IReadOnlyList<(int Partition, string EntryId, Delivery? Delivery)>> ReadAgencyStreamAsync(string agencyId, WatchCursor cursor, int count)
    {
        var db = redis.GetDatabase();
        var reads = RedisPartitions.All.Select(p => db.StreamReadAsync(AgencyStream(agencyId, p), cursor[p], count)).ToArray();
        var named = new List<(int Partition, string EntryId, RedisValue ChallengeId, RedisValue DeliveryId)>();
        for (var p = 0; p < reads.Length; p++)
        {
            foreach (var entry in await reads[p])
            {
                if (!entry[ChallengeField].IsNullOrEmpty && !entry[DeliveryIdField].IsNullOrEmpty)
                    named.Add((p, entry.Id.ToString(), entry[ChallengeField], entry[DeliveryIdField]));
            }
        }
        // A stable sort keeps each partition's own order; across partitions, older first.
        named = named.OrderBy(e => e.EntryId, Comparer<string>.Create(CompareIds)).ToList();
        var batch = db.CreateBatch();
        var deliveries = named.Select(e => batch.HashGetAsync(DeliveriesKey(e.ChallengeId.ToString()), e.DeliveryId)).ToArray();
        batch.Execute();
        var entries = new List<(int, string, Delivery?)>(named.Count);
        for (var i = 0; i < named.Count; i++)
        {
            // Written with its entry, in one transaction: missing only if removed by hand since.
            var bytes = await deliveries[i];
            entries.Add((named[i].Partition, named[i].EntryId, bytes.IsNull ? null : Read(named[i].ChallengeId.ToString(), named[i].DeliveryId.ToString(), bytes)));
        }
        return entries;
    }

    /// <summary>The cursor after the newest entry of every partition of an agency's stream: a new watch starts after it.</summary>
    public async Task<WatchCursor> LatestCursorAsync(string agencyId)
    {
        var db = redis.GetDatabase();
        var reads = RedisPartitions.All.Select(p =>
            db.StreamRangeAsync(AgencyStream(agencyId, p), "-", "+", count: 1, messageOrder: Order.Descending)).ToArray();
        var positions = new string[reads.Length];
        for (var p = 0; p < reads.Length; p++)
        {
            var last = await reads[p];
            positions[p] = last.Length == 0 ? "0-0" : last[0].Id.ToString();
        }
        return WatchCursor.Of(positions);
    }

    /// <summary>
    /// Whether entries after <paramref name="cursor"/> may have been trimmed from one of the agency's
    /// streams, so a watch resumed there would miss some: entries were trimmed, and the oldest kept (or,
    /// with none kept, the newest ever added) lies beyond the cursor's position in that partition.
    /// </summary>
    public async Task<bool> TrimmedAfterAsync(string agencyId, WatchCursor cursor)
    {
        var db = redis.GetDatabase();
        var checks = RedisPartitions.All.Select(async p =>
        {
            var key = AgencyStream(agencyId, p);
            if (!await db.KeyExistsAsync(key))
                return false;
            var info = (RedisResult[])(await db.ExecuteAsync("XINFO", "STREAM", key))!;
            var fields = new Dictionary<string, RedisResult>(StringComparer.Ordinal);
            for (var i = 0; i + 1 < info.Length; i += 2)
                fields[(string)info[i]!] = info[i + 1];
            var length = (long)fields["length"];
            var added = (long)fields["entries-added"];
            if (added <= length)
                return false;
            var oldest = length == 0 ? (string?)fields["last-generated-id"] : (string?)((RedisResult[])fields["first-entry"]!)[0];
            return oldest is not null && CompareIds(oldest, cursor[p]) > 0;
        }).ToArray();
        return (await Task.WhenAll(checks)).Any(trimmed => trimmed);
    }

    public static int CompareIds(string a, string b)
    {
        static (ulong, ulong) Parse(string id)
        {
            var parts = id.Split('-');
            return (ulong.Parse(parts[0], System.Globalization.CultureInfo.InvariantCulture),
                parts.Length > 1 ? ulong.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture) : 0);
        }
        return Parse(a).CompareTo(Parse(b));
    }

    /// <summary>
    /// A delivery as the log keeps it: without its name, which its key and field already say
    /// (about a sixth of a delivery); <see cref="Read"/> puts it back.
    /// </summary>
    private static byte[] Stored(Delivery delivery)
    {
        var stored = delivery.Clone();
        stored.Name = "";
        return stored.ToByteArray();
    }

    private static Delivery Read(string challengeId, string deliveryId, RedisValue stored)
    {
        var delivery = Delivery.Parser.ParseFrom((byte[])stored!);
        delivery.Name = $"challenges/{challengeId}/deliveries/{deliveryId}";
        return delivery;
    }

    public static (string ChallengeId, string DeliveryId) IdsOf(string deliveryName)
    {
        var parts = deliveryName.Split('/');
        return (parts[1], parts[3]);
    }

    /// <summary>Sorts by creation time, then position within the event; then names the delivery.</summary>
    private static string IndexMember(Delivery delivery, int position, string challengeId, string deliveryId) =>
        $"{delivery.CreateTime.ToDateTimeOffset().ToUnixTimeMilliseconds():D13}.{position:D4}|{challengeId}|{deliveryId}";

    /// <summary>
    /// A member of a challenge's own index: without the challenge (its key names it), 45 bytes, so the
    /// small sorted set keeps Redis's compact encoding (members up to 64 bytes), about a fifth of the memory.
    /// </summary>
    private static string ChallengeIndexMember(Delivery delivery, int position, string deliveryId) =>
        $"{delivery.CreateTime.ToDateTimeOffset().ToUnixTimeMilliseconds():D13}.{position:D4}|{deliveryId}";
}
