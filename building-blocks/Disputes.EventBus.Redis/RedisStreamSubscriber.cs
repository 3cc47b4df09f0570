using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Disputes.EventBus.Redis;

/// <summary>
/// Consumes this app's topics as Dapr's pubsub.redis does: one consumer group per app id
/// on each topic stream, acknowledged only after the handler succeeds. A failing handler
/// is retried with backoff, then the entry goes to the topic's dead-letter stream. Entries
/// left pending by a consumer that crashed are reclaimed once idle for the processing timeout.
/// </summary>
public sealed partial class RedisStreamSubscriber(
    IConnectionMultiplexer redis,
    EventSubscriptions subscriptions,
    EventDispatcher dispatcher,
    IOptions<EventBusOptions> options,
    TimeProvider timeProvider,
    ILogger<RedisStreamSubscriber> logger) : BackgroundService
{
    private const int BatchSize = 32;
    private readonly EventBusOptions _options = options.Value;

    /// <summary>Unique per process, so a restarted process never mistakes another's pending entries for its own.</summary>
    public string ConsumerName { get; } = $"{options.Value.AppId}-{Environment.MachineName}-{Environment.ProcessId}-{Guid.NewGuid():N}"[..^24];

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (subscriptions.All.Count == 0)
            return;

        var groupsReady = false;
        var nextReclaim = DateTimeOffset.MinValue;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                if (!groupsReady)
                {
                    await EnsureConsumerGroupsAsync();
                    groupsReady = true;
                }

                var handled = 0;
                if (timeProvider.GetUtcNow() >= nextReclaim)
                {
                    handled += await ReclaimAbandonedAsync(stoppingToken);
                    await TrimHandledAsync();
                    nextReclaim = timeProvider.GetUtcNow() + _options.ProcessingTimeout / 2;
                }
                handled += await ReadNewAsync(stoppingToken);
                if (handled == 0)
                    await Task.Delay(_options.PollInterval, timeProvider, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (ex is RedisException or TimeoutException)
            {
                // A stream or group removed under us (NOGROUP) or Redis unreachable: start over.
                groupsReady = false;
                LogRedisUnavailable(ex);
                await Task.Delay(TimeSpan.FromSeconds(1), timeProvider, stoppingToken);
            }
        }
    }

    private async Task EnsureConsumerGroupsAsync()
    {
        var db = redis.GetDatabase();
        foreach (var subscription in subscriptions.All)
            await db.CreateIfMissingAsync(subscription.Topic, _options.AppId);
    }

    private async Task<int> ReadNewAsync(CancellationToken cancellationToken)
    {
        var positions = subscriptions.All.Select(s => new StreamPosition(s.Topic, StreamPosition.NewMessages)).ToArray();
        var streams = await redis.GetDatabase().StreamReadGroupAsync(positions, _options.AppId, ConsumerName, BatchSize);
        // A batch is handled concurrently, one lane per dispute: a dispute's events (and any
        // repeat of one event) are handled in stream order, different disputes in parallel.
        var lanes = streams
            .SelectMany(stream => stream.Entries.Select(entry => Parse(subscriptions.ForTopic(stream.Key.ToString())!, entry)))
            .GroupBy(delivery => delivery.Envelope?.DisputeId ?? delivery.Entry.Id.ToString())
            .ToArray();
        await Task.WhenAll(lanes.Select(async lane =>
        {
            foreach (var delivery in lane)
                await DeliverAsync(delivery, cancellationToken);
        }));
        return lanes.Sum(lane => lane.Count());
    }

    /// <summary>
    /// Removes the entries every consumer group of a topic has acknowledged: the topic holds
    /// what is still to be handled, not a second copy of each dispute's history. Dead-letter
    /// streams are kept whole, for inspection.
    /// </summary>
    private async Task TrimHandledAsync()
    {
        var db = redis.GetDatabase();
        foreach (var subscription in subscriptions.All)
        {
            StreamId? oldestNeeded = null;
            foreach (var group in await db.StreamGroupInfoAsync(subscription.Topic))
            {
                var needed = group.PendingMessageCount > 0
                    ? StreamId.Parse((await db.StreamPendingAsync(subscription.Topic, group.Name)).LowestPendingMessageId)
                    : StreamId.Parse(group.LastDeliveredId);
                if (oldestNeeded is null || needed < oldestNeeded)
                    oldestNeeded = needed;
            }
            if (oldestNeeded is { } minimum)
                await db.StreamTrimByMinIdAsync(subscription.Topic, minimum.ToString());
        }
    }

    private async Task<int> ReclaimAbandonedAsync(CancellationToken cancellationToken)
    {
        var db = redis.GetDatabase();
        var minIdle = (long)_options.ProcessingTimeout.TotalMilliseconds;
        var handled = 0;
        foreach (var subscription in subscriptions.All)
        {
            var claimed = await db.StreamAutoClaimAsync(subscription.Topic, _options.AppId, ConsumerName, minIdle, "0-0", BatchSize);
            foreach (var entry in claimed.ClaimedEntries)
            {
                if (entry.IsNull)
                    continue;
                LogReclaimed(entry.Id.ToString(), subscription.Topic);
                var pending = await db.StreamPendingMessagesAsync(subscription.Topic, _options.AppId, 1, ConsumerName, entry.Id, entry.Id);
                var deliveries = pending.Length > 0 ? pending[0].DeliveryCount : 1;
                if (deliveries > _options.MaxDeliveryAttempts)
                {
                    // Delivered again and again without an acknowledgement: it is taking consumers down.
                    await DeadLetterAsync(subscription, entry, "redelivered too often");
                }
                else
                {
                    await DeliverAsync(Parse(subscription, entry), cancellationToken);
                }
                handled++;
            }
        }
        return handled;
    }

    /// <summary>An entry with its CloudEvent (null when it is not one); the stream is the topic, whatever the envelope says.</summary>
    private Delivery Parse(EventSubscription subscription, StreamEntry entry) =>
        new(subscription, entry, EventEnvelope.TryParse(entry[RedisStreamFields.Data].ToString(), subscription.Topic, _options.PubSubName)
            is { } envelope ? envelope with { Topic = subscription.Topic } : null);

    private async Task DeliverAsync(Delivery delivery, CancellationToken cancellationToken)
    {
        var (subscription, entry, envelope) = delivery;
        if (envelope is null)
        {
            await DeadLetterAsync(subscription, entry, "not a CloudEvent");
            return;
        }

        for (var attempt = 1; ; attempt++)
        {
            var outcome = await dispatcher.DispatchAsync(envelope, "redis", cancellationToken);
            if (outcome == DispatchOutcome.Success)
            {
                await redis.GetDatabase().StreamAcknowledgeAsync(subscription.Topic, _options.AppId, entry.Id);
                return;
            }
            if (outcome == DispatchOutcome.Drop)
            {
                await DeadLetterAsync(subscription, entry, "dropped by the subscriber");
                return;
            }
            if (attempt >= _options.MaxDeliveryAttempts)
            {
                await DeadLetterAsync(subscription, entry, $"handler failed {attempt} times");
                return;
            }
            await Task.Delay(_options.BackoffFor(attempt), timeProvider, cancellationToken);
        }
    }

    /// <summary>Moves the entry, unchanged, to the dead-letter stream and acknowledges it, in one transaction.</summary>
    private async Task DeadLetterAsync(EventSubscription subscription, StreamEntry entry, string reason)
    {
        LogDeadLettered(entry.Id.ToString(), subscription.Topic, subscription.DeadLetterTopic, reason);
        var transaction = redis.GetDatabase().CreateTransaction();
        _ = transaction.StreamAddAsync(subscription.DeadLetterTopic, RedisStreamFields.Data, entry[RedisStreamFields.Data]);
        _ = transaction.StreamAcknowledgeAsync(subscription.Topic, _options.AppId, entry.Id);
        await transaction.ExecuteAsync();
    }

    private sealed record Delivery(EventSubscription Subscription, StreamEntry Entry, EventEnvelope? Envelope);

    /// <summary>A stream entry id, "{milliseconds}-{sequence}", compared as Redis orders them.</summary>
    private readonly record struct StreamId(long Milliseconds, long Sequence) : IComparable<StreamId>
    {
        public static StreamId Parse(RedisValue id)
        {
            var text = id.ToString();
            var dash = text.IndexOf('-');
            return dash < 0
                ? new StreamId(long.Parse(text, System.Globalization.CultureInfo.InvariantCulture), 0)
                : new StreamId(long.Parse(text[..dash], System.Globalization.CultureInfo.InvariantCulture),
                    long.Parse(text[(dash + 1)..], System.Globalization.CultureInfo.InvariantCulture));
        }

        public int CompareTo(StreamId other) =>
            Milliseconds != other.Milliseconds ? Milliseconds.CompareTo(other.Milliseconds) : Sequence.CompareTo(other.Sequence);

        public static bool operator <(StreamId left, StreamId right) => left.CompareTo(right) < 0;

        public static bool operator >(StreamId left, StreamId right) => left.CompareTo(right) > 0;

        public override string ToString() => $"{Milliseconds}-{Sequence}";
    }

    [LoggerMessage(LogLevel.Warning, "Redis Streams consumer could not read; retrying")]
    private partial void LogRedisUnavailable(Exception exception);

    [LoggerMessage(LogLevel.Information, "Reclaimed entry {EntryId} of {Topic} left pending by another consumer")]
    private partial void LogReclaimed(string entryId, string topic);

    [LoggerMessage(LogLevel.Error, "Entry {EntryId} of {Topic} moved to {DeadLetterTopic}: {Reason}")]
    private partial void LogDeadLettered(string entryId, string topic, string deadLetterTopic, string reason);
}
