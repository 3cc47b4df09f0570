using Disputes.EventBus;
using Disputes.EventBus.Redis;
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
public sealed class DeliveryStore(IConnectionMultiplexer redis, RedisOutbox outbox, RedisProcessedEvents? processedEvents = null)
{
    public const string Prefix = "notification:";
    public const string DeliveryField = "delivery";
    public const string ChallengeField = "challenge";
    public const string DeliveryIdField = "id";

    /// <summary>Webhook and email deliveries waiting to be sent; consumed by <c>DeliverySender</c>.</summary>
    public static RedisKey SendQueue => Prefix + "sends";

    /// <summary>Deliveries given up on, for an operator to inspect.</summary>
    public static RedisKey DeadLetters => Prefix + "sends-deadletter";

    /// <summary>How long an event's deliveries are remembered as made: far beyond any redelivery.</summary>
    public static readonly TimeSpan EventMarkerRetention = TimeSpan.FromDays(30);

    /// <summary>Entries kept per agency watch stream: a watcher offline longer than this many deliveries resumes from the oldest kept.</summary>
    public const int AgencyStreamLength = 100_000;

    /// <summary>Raised once this process queues a send job; the sender waits on it instead of polling.</summary>
    public OutboxSignal Queued { get; } = new();

    /// <summary>The watch streams of this process, woken when a delivery for their agency is written here.</summary>
    public DeliveryWatchers Watchers { get; } = new();

    private static RedisKey DeliveriesKey(string challengeId) => $"{Prefix}deliveries:{challengeId}";

    private static RedisKey EventMarker(string eventId) => $"{Prefix}events:{eventId}";

    public static RedisKey ChallengeIndex(string challengeId) => $"{Prefix}index:challenge:{challengeId}";

    public static RedisKey AgencyIndex(string agencyId) => $"{Prefix}index:agency:{agencyId}";

    public static RedisKey RecipientIndex(string agencyId, string professionalId) => $"{Prefix}index:recipient:{agencyId}:{professionalId}";

    public static RedisKey AgencyStream(string agencyId) => $"{Prefix}stream:{agencyId}";

    /// <summary>
    /// Writes every delivery of one event at once, unless that event's deliveries were already
    /// written (a redelivery, or a retry after a crash): then nothing is written and false returned.
    /// With the event's context, its processed mark is written in the same transaction.
    /// </summary>
    public async Task<bool> CreateAsync(string eventId, IReadOnlyList<Delivery> deliveries, IReadOnlyList<EventEnvelope> events,
        EventContext? context = null)
    {
        var transaction = redis.GetDatabase().CreateTransaction();
        if (context is not null)
            processedEvents?.MarkProcessed(transaction, context);
        transaction.AddCondition(Condition.KeyNotExists(EventMarker(eventId)));
        _ = transaction.StringSetAsync(EventMarker(eventId), deliveries.Count, EventMarkerRetention);
        var queued = false;
        var streamed = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < deliveries.Count; i++)
        {
            var delivery = deliveries[i];
            var (challengeId, deliveryId) = IdsOf(delivery.Name);
            var bytes = delivery.ToByteArray();
            _ = transaction.HashSetAsync(DeliveriesKey(challengeId), deliveryId, bytes);
            var member = IndexMember(delivery, i, challengeId, deliveryId);
            _ = transaction.SortedSetAddAsync(ChallengeIndex(challengeId), member, 0);
            _ = transaction.SortedSetAddAsync(AgencyIndex(delivery.Recipient.AgencyId), member, 0);
            if (delivery.Recipient.ProfessionalId.Length > 0)
                _ = transaction.SortedSetAddAsync(RecipientIndex(delivery.Recipient.AgencyId, delivery.Recipient.ProfessionalId), member, 0);
            if (delivery.Channel == Channel.Stream)
            {
                _ = transaction.StreamAddAsync(AgencyStream(delivery.Recipient.AgencyId), DeliveryField, bytes,
                    maxLength: AgencyStreamLength, useApproximateMaxLength: true);
                streamed.Add(delivery.Recipient.AgencyId);
            }
            else if (delivery.Status == DeliveryStatus.Pending)
            {
                _ = transaction.StreamAddAsync(SendQueue,
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
        return value.IsNull ? null : Delivery.Parser.ParseFrom((byte[])value!);
    }

    /// <summary>
    /// Records a pending delivery's outcome with its NotificationDelivered event, acknowledging
    /// the send job; a given-up delivery also goes to the dead letters. Only the first of two
    /// racing senders wins (the stored delivery must still be the one it read).
    /// </summary>
    public async Task<bool> CompleteAsync(Delivery read, Delivery completed, EventEnvelope delivered, RedisValue sendEntryId, string sendGroup)
    {
        var (challengeId, deliveryId) = IdsOf(completed.Name);
        var transaction = redis.GetDatabase().CreateTransaction();
        transaction.AddCondition(Condition.HashEqual(DeliveriesKey(challengeId), deliveryId, read.ToByteArray()));
        _ = transaction.HashSetAsync(DeliveriesKey(challengeId), deliveryId, completed.ToByteArray());
        if (completed.Status == DeliveryStatus.Failed)
        {
            _ = transaction.StreamAddAsync(DeadLetters,
                [new NameValueEntry(ChallengeField, challengeId), new NameValueEntry(DeliveryIdField, deliveryId)]);
        }
        outbox.Add(transaction, delivered);
        _ = transaction.StreamAcknowledgeAsync(SendQueue, sendGroup, sendEntryId);
        return await transaction.ExecuteAsync();
    }

    /// <summary>Deliveries from an index in creation order, strictly after <paramref name="after"/>, at most <paramref name="take"/> index members.</summary>
    public async Task<IReadOnlyList<(string Position, Delivery? Delivery)>> PageAsync(RedisKey index, string? after, int take)
    {
        var db = redis.GetDatabase();
        var members = await db.SortedSetRangeByValueAsync(index,
            min: after is null ? default : (RedisValue)after, max: default,
            exclude: after is null ? Exclude.None : Exclude.Start, order: Order.Ascending, skip: 0, take: take);
        var batch = db.CreateBatch();
        var reads = members.Select(m =>
        {
            var parts = m.ToString().Split('|');
            return (Position: m.ToString(), Read: batch.HashGetAsync(DeliveriesKey(parts[1]), parts[2]));
        }).ToArray();
        batch.Execute();
        var page = new List<(string, Delivery?)>(reads.Length);
        foreach (var (position, read) in reads)
        {
            var value = await read;
            page.Add((position, value.IsNull ? null : Delivery.Parser.ParseFrom((byte[])value!)));
        }
        return page;
    }

    /// <summary>Stream entries of an agency strictly after <paramref name="cursor"/>.</summary>
    public async Task<IReadOnlyList<(string Cursor, Delivery Delivery)>> ReadAgencyStreamAsync(string agencyId, string cursor, int count)
    {
        var entries = await redis.GetDatabase().StreamReadAsync(AgencyStream(agencyId), cursor, count);
        return entries
            .Where(e => !e[DeliveryField].IsNull)
            .Select(e => (e.Id.ToString(), Delivery.Parser.ParseFrom((byte[])e[DeliveryField]!)))
            .ToArray();
    }

    /// <summary>The cursor of the newest entry of an agency's stream ("0-0" when empty): a new watch starts after it.</summary>
    public async Task<string> LatestCursorAsync(string agencyId)
    {
        var last = await redis.GetDatabase().StreamRangeAsync(AgencyStream(agencyId), "-", "+", count: 1, messageOrder: Order.Descending);
        return last.Length == 0 ? "0-0" : last[0].Id.ToString();
    }

    /// <summary>
    /// Whether entries after <paramref name="cursor"/> may have been trimmed from the agency's
    /// stream, so a watch resumed there would miss some: entries were trimmed, and the oldest
    /// kept (or, with none kept, the newest ever added) lies beyond the cursor.
    /// </summary>
    public async Task<bool> TrimmedAfterAsync(string agencyId, string cursor)
    {
        var key = AgencyStream(agencyId);
        var db = redis.GetDatabase();
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
        return oldest is not null && CompareIds(oldest, cursor) > 0;
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

    public static (string ChallengeId, string DeliveryId) IdsOf(string deliveryName)
    {
        var parts = deliveryName.Split('/');
        return (parts[1], parts[3]);
    }

    /// <summary>Sorts by creation time, then position within the event; then names the delivery.</summary>
    private static string IndexMember(Delivery delivery, int position, string challengeId, string deliveryId) =>
        $"{delivery.CreateTime.ToDateTimeOffset().ToUnixTimeMilliseconds():D13}.{position:D4}|{challengeId}|{deliveryId}";
}
