using System.Globalization;
using System.Text.Json.Serialization;
using Disputes.EventBus;
using Disputes.EventBus.Redis;
using Disputes.Outbox.Redis;
using Disputes.Procedure;
using Disputes.Redis;
using StackExchange.Redis;

namespace Disputes.Tools.Support;

/// <summary>Where an event of a dispute is held up on the bus.</summary>
public enum BusEventState
{
    /// <summary>In a service's outbox: written with its change, not yet published.</summary>
    Unpublished,
    /// <summary>On its topic, not yet read by this consumer group.</summary>
    Undelivered,
    /// <summary>Read by this consumer group and not acknowledged: being handled or retried.</summary>
    Pending,
    /// <summary>Given up on by a consumer and moved to the topic's dead-letter stream.</summary>
    DeadLettered,
    /// <summary>Its publish failed too often and it was moved to the outbox's dead-letter stream.</summary>
    PublishDeadLettered,
}

/// <summary>
/// One event of a dispute held up somewhere on the bus, and the service concerned: the consumer group
/// (an app id) for undelivered and pending entries, the publishing app for outbox entries. For a dead
/// letter, the groups with no record of having handled the event are named instead (the entry does not
/// say which consumer gave up). Ids, types, times and traces only.
/// </summary>
public sealed record BusEventOfDispute(
    BusEventState State,
    string Stream,
    string EntryId,
    IReadOnlyList<string> Services,
    string? EventId,
    string? EventType,
    DateTimeOffset? EventTime,
    string? TraceId,
    int? Deliveries,
    [property: JsonPropertyName("idleSeconds")] TimeSpan? Idle,
    string? Reason);

/// <summary>
/// Finds the events of one dispute that are not done with yet: in an outbox, on a topic ahead of a
/// consumer group, pending with a group, or dead-lettered. Each stream is read up to a bound, newest
/// entries last, so the command stays cheap on a busy bus.
/// </summary>
public sealed class DisputeBusEvents(IConnectionMultiplexer redis, int scanLimit = DisputeBusEvents.DefaultScanLimit)
{
    public const int DefaultScanLimit = 10_000;

    private IDatabase Db => redis.GetDatabase();

    public async Task<IReadOnlyList<BusEventOfDispute>> FindAsync(string disputeId)
    {
        var found = new List<BusEventOfDispute>();
        foreach (var (topic, _) in BusTopics.All)
        {
            await OnTopicAsync(topic, disputeId, found);
            var deadLetters = IntegrationEvents.DeadLetterTopicOf(topic);
            foreach (var (entry, envelope) in await EntriesOfAsync(deadLetters, RedisStreamFields.Data, disputeId))
            {
                var deadLetter = DeadLetter.From(topic, entry);
                found.Add(new BusEventOfDispute(BusEventState.DeadLettered, deadLetters, entry.Id.ToString(), await NotHandledByAsync(topic, envelope.Id, disputeId),
                    envelope.Id, envelope.Type, Time(envelope), deadLetter.TraceId, null, null, deadLetter.Reason));
            }
        }
        // A dispute's events wait only in its partition's outbox stream of each service.
        foreach (var outbox in await OutboxStreams.FindAsync(redis, OutboxStreams.PatternOf(RedisPartitions.Of(disputeId))))
        {
            var deadLetter = OutboxStreams.IsDeadLetter(outbox);
            foreach (var (entry, envelope) in await EntriesOfAsync(outbox, RedisOutbox.EnvelopeField, disputeId))
            {
                var reason = DeadLetter.ReasonFields.Select(name => entry[name]).FirstOrDefault(v => !v.IsNullOrEmpty);
                found.Add(new BusEventOfDispute(deadLetter ? BusEventState.PublishDeadLettered : BusEventState.Unpublished, outbox, entry.Id.ToString(),
                    [BusTopics.AppOfKey(outbox)], envelope.Id, envelope.Type, Time(envelope), DeadLetter.TraceIdOf(envelope.TraceParent), null, null,
                    reason.IsNullOrEmpty ? null : reason.ToString()));
            }
        }
        return found.OrderBy(e => e.EventTime ?? DateTimeOffset.MaxValue).ThenBy(e => e.Stream, StringComparer.Ordinal).ToArray();
    }

    private async Task OnTopicAsync(string topic, string disputeId, List<BusEventOfDispute> found)
    {
        if (await Db.KeyTypeAsync(topic) != RedisType.Stream)
            return;
        var entries = await EntriesOfAsync(topic, RedisStreamFields.Data, disputeId);
        if (entries.Count == 0)
            return;
        foreach (var group in await Db.StreamGroupInfoAsync(topic))
        {
            var pending = (await Db.StreamPendingMessagesAsync(topic, group.Name, scanLimit, RedisValue.Null))
                .ToDictionary(p => p.MessageId.ToString(), StringComparer.Ordinal);
            foreach (var (entry, envelope) in entries)
            {
                var id = entry.Id.ToString();
                var traceId = DeadLetter.TraceIdOf(envelope.TraceParent);
                if (pending.TryGetValue(id, out var held))
                    found.Add(new BusEventOfDispute(BusEventState.Pending, topic, id, [group.Name], envelope.Id, envelope.Type, Time(envelope), traceId,
                        held.DeliveryCount, TimeSpan.FromMilliseconds(held.IdleTimeInMilliseconds), null));
                else if (After(id, group.LastDeliveredId))
                    found.Add(new BusEventOfDispute(BusEventState.Undelivered, topic, id, [group.Name], envelope.Id, envelope.Type, Time(envelope), traceId,
                        null, null, null));
            }
        }
    }

    /// <summary>The consumer groups of the topic that have no processed marker for the event ("{app}:{pNN}:processed:{event id}").</summary>
    private async Task<IReadOnlyList<string>> NotHandledByAsync(string topic, string eventId, string disputeId)
    {
        if (await Db.KeyTypeAsync(topic) != RedisType.Stream)
            return [];
        var groups = new List<string>();
        foreach (var group in await Db.StreamGroupInfoAsync(topic))
        {
            if (!await Db.KeyExistsAsync(RedisProcessedEvents.KeyOf(group.Name, eventId, disputeId)))
                groups.Add(group.Name);
        }
        return groups.Order(StringComparer.Ordinal).ToArray();
    }

    private async Task<IReadOnlyList<(StreamEntry Entry, EventEnvelope Envelope)>> EntriesOfAsync(RedisKey stream, string field, string disputeId)
    {
        if (await Db.KeyTypeAsync(stream) != RedisType.Stream)
            return [];
        // The newest entries are the ones a stuck dispute is most likely to have.
        var entries = await Db.StreamRangeAsync(stream, "-", "+", scanLimit, Order.Descending);
        var matching = new List<(StreamEntry, EventEnvelope)>();
        foreach (var entry in entries.Reverse())
        {
            var json = entry[field];
            if (!json.IsNullOrEmpty && EventEnvelope.TryParse(json.ToString()) is { } envelope && envelope.DisputeId == disputeId)
                matching.Add((entry, envelope));
        }
        return matching;
    }

    private static bool After(string id, string? lastDelivered)
    {
        if (string.IsNullOrEmpty(lastDelivered))
            return true;
        var (a, b) = (Parts(id), Parts(lastDelivered));
        return a.Milliseconds != b.Milliseconds ? a.Milliseconds > b.Milliseconds : a.Sequence > b.Sequence;
    }

    private static (long Milliseconds, long Sequence) Parts(string id)
    {
        var dash = id.IndexOf('-');
        return dash < 0
            ? (long.Parse(id, CultureInfo.InvariantCulture), 0)
            : (long.Parse(id[..dash], CultureInfo.InvariantCulture), long.Parse(id[(dash + 1)..], CultureInfo.InvariantCulture));
    }

    private static DateTimeOffset? Time(EventEnvelope envelope) => envelope.Time == DateTimeOffset.MinValue ? null : envelope.Time;
}
