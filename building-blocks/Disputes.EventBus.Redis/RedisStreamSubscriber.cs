using Disputes.Redis;
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
/// Nothing one entry does (unreadable, missing fields, a handler that throws or hangs) and no
/// error of Redis ends the loop: each delivery is contained, and the loop backs off and goes on.
/// New entries are read with a blocking read on a connection of its own, so an event is handled
/// as soon as it is published; the block is bounded so reclaim and shutdown still come round.
/// Acknowledgements of a batch go to Redis together, one XACK per topic, pipelined.
/// </summary>
public sealed partial class RedisStreamSubscriber(
    IConnectionMultiplexer redis,
    EventSubscriptions subscriptions,
    EventDispatcher dispatcher,
    IOptions<EventBusOptions> options,
    EventBusReadiness readiness,
    TimeProvider timeProvider,
    ILogger<RedisStreamSubscriber> logger) : BackgroundService
{
    private const int BatchSize = 32;
    private const string ReasonField = "deadletter-reason";
    private const string EntryIdField = "deadletter-entry-id";
    private readonly EventBusOptions _options = options.Value;

    /// <summary>Unique per process, so a restarted process never mistakes another's pending entries for its own.</summary>
    public string ConsumerName { get; } = $"{options.Value.AppId}-{Environment.MachineName}-{Environment.ProcessId}-{Guid.NewGuid():N}"[..^24];

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (subscriptions.All.Count == 0)
        {
            readiness.MarkConsumerGroupsCreated();
            return;
        }

        await using var reader = new BlockingStreamReader(redis, _options.BlockTime);
        var topics = subscriptions.All.Select(s => s.Topic).Distinct(StringComparer.Ordinal).Select(t => (RedisKey)t).ToArray();
        var groupsReady = false;
        var failures = 0;
        var readOwnPending = false;
        var nextReclaim = DateTimeOffset.MinValue;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                if (!groupsReady)
                {
                    await EnsureConsumerGroupsAsync();
                    groupsReady = true;
                    readiness.MarkConsumerGroupsCreated();
                }

                if (timeProvider.GetUtcNow() >= nextReclaim)
                {
                    await ReclaimAbandonedAsync(stoppingToken);
                    nextReclaim = timeProvider.GetUtcNow() + _options.ProcessingTimeout / 2;
                }
                if (readOwnPending)
                {
                    // A read whose reply was lost (timeout, broken connection) still gave this consumer
                    // its entries: take them up now rather than after the processing timeout.
                    await ReadOwnPendingAsync(stoppingToken);
                    readOwnPending = false;
                }
                await ReadNewAsync(reader, topics, nextReclaim - timeProvider.GetUtcNow(), stoppingToken);
                failures = 0;
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                // Whatever it was (Redis unreachable, a group removed under us, a bug): recreate the
                // groups (idempotent), back off and go on. The service must outlive any one error.
                groupsReady = false;
                readOwnPending = true;
                failures++;
                LogLoopFailed(ex, failures);
                try
                {
                    await Task.Delay(_options.BackoffFor(failures), timeProvider, stoppingToken);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }

    private async Task EnsureConsumerGroupsAsync()
    {
        var db = redis.GetDatabase();
        foreach (var subscription in subscriptions.All)
            await db.CreateIfMissingAsync(subscription.Topic, _options.AppId);
    }

    /// <summary>Waits (up to the block time, and no later than the next reclaim) for new entries, and handles them.</summary>
    private async Task ReadNewAsync(BlockingStreamReader reader, RedisKey[] topics, TimeSpan untilReclaim, CancellationToken cancellationToken)
    {
        var block = untilReclaim < _options.BlockTime ? untilReclaim : _options.BlockTime;
        // Taken before the read: the reclaim clock of these entries starts no earlier than this
        // (a wait in the block shortens their handler deadline a little, never lengthens it).
        var readAt = timeProvider.GetUtcNow();
        var streams = await reader.ReadAsync(topics, _options.AppId, ConsumerName, BatchSize, block, cancellationToken);
        await DeliverInLanesAsync(Deliveries(streams.Select(s => (s.Stream, s.Entries))), readAt, cancellationToken);
    }

    private async Task ReadOwnPendingAsync(CancellationToken cancellationToken)
    {
        // Taken before the read: the reclaim clock of these entries starts no earlier than this.
        var readAt = timeProvider.GetUtcNow();
        // One read per topic (each its own slot on a Redis Cluster), sent together.
        var batch = redis.GetDatabase().CreateBatch();
        var reads = subscriptions.All.Select(s => s.Topic).Distinct(StringComparer.Ordinal)
            .Select(topic => (Topic: (RedisKey)topic, Read: batch.StreamReadGroupAsync(topic, _options.AppId, ConsumerName, StreamPosition.Beginning, BatchSize)))
            .ToArray();
        batch.Execute();
        await Task.WhenAll(reads.Select(r => r.Read));
        await DeliverInLanesAsync(Deliveries(reads.Select(r => (r.Topic, r.Read.Result))), readAt, cancellationToken);
    }

    private Delivery[] Deliveries(IEnumerable<(RedisKey Stream, StreamEntry[] Entries)> streams) =>
        streams
            .Select(stream => (Subscription: subscriptions.ForTopic(stream.Stream.ToString()), stream.Entries))
            .Where(stream => stream.Subscription is not null)
            .SelectMany(stream => stream.Entries.Where(entry => !entry.IsNull).Select(entry => Parse(stream.Subscription!, entry)))
            .ToArray();

    /// <summary>
    /// Handles a batch concurrently, one lane per dispute: a dispute's events (and any repeat of
    /// one event) are handled in stream order, different disputes in parallel. Every delivery must
    /// end before the handler timeout after the read, below the reclaim threshold, so no entry is
    /// handled here while another replica reclaims it; what has not started by then stays pending.
    /// </summary>
    private async Task DeliverInLanesAsync(IReadOnlyCollection<Delivery> deliveries, DateTimeOffset readAt, CancellationToken stoppingToken)
    {
        if (deliveries.Count == 0)
            return;
        var deadline = readAt + _options.EffectiveHandlerTimeout;
        var remaining = deadline - timeProvider.GetUtcNow();
        if (remaining <= TimeSpan.Zero)
            return;
        using var timeout = new CancellationTokenSource(remaining, timeProvider);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken, timeout.Token);
        var lanes = deliveries.GroupBy(delivery => delivery.Envelope?.DisputeId ?? delivery.Entry.Id.ToString());
        var handled = new AckBatch();
        await Task.WhenAll(lanes.Select(lane => DeliverLaneAsync(lane, deadline, handled, linked.Token, stoppingToken)));
        await handled.AcknowledgeAsync(redis.GetDatabase(), _options.AppId);
    }

    private async Task DeliverLaneAsync(IEnumerable<Delivery> lane, DateTimeOffset deadline, AckBatch handled, CancellationToken token,
        CancellationToken stoppingToken)
    {
        // Let the other lanes start before this one runs a handler inline.
        await Task.Yield();
        foreach (var delivery in lane)
        {
            try
            {
                if (timeProvider.GetUtcNow() >= deadline)
                    throw new OperationCanceledException(token);
                await DeliverAsync(delivery, deadline, handled, token);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (OperationCanceledException)
            {
                // Out of time: this and the rest of the lane stay pending and are reclaimed, in order.
                LogHandlerTimedOut(delivery.Entry.Id.ToString(), delivery.Subscription.Topic, _options.EffectiveHandlerTimeout);
                return;
            }
            catch (Exception ex)
            {
                // Contained: the entry stays pending (reclaimed later, dead-lettered once redelivered too
                // often); the rest of its lane waits with it so the dispute's order holds.
                LogDeliveryFailed(ex, delivery.Entry.Id.ToString(), delivery.Subscription.Topic);
                return;
            }
        }
    }

    private async Task ReclaimAbandonedAsync(CancellationToken cancellationToken)
    {
        var db = redis.GetDatabase();
        var minIdle = (long)_options.ProcessingTimeout.TotalMilliseconds;
        foreach (var subscription in subscriptions.All)
        {
            var readAt = timeProvider.GetUtcNow();
            var claimed = await db.StreamAutoClaimAsync(subscription.Topic, _options.AppId, ConsumerName, minIdle, "0-0", BatchSize);
            var deliveries = new List<Delivery>();
            foreach (var entry in claimed.ClaimedEntries)
            {
                if (entry.IsNull)
                    continue;
                LogReclaimed(entry.Id.ToString(), subscription.Topic);
                var pending = await db.StreamPendingMessagesAsync(subscription.Topic, _options.AppId, 1, ConsumerName, entry.Id, entry.Id);
                var deliveryCount = pending.Length > 0 ? pending[0].DeliveryCount : 1;
                if (deliveryCount > _options.MaxDeliveryAttempts)
                {
                    // Delivered again and again without an acknowledgement: it is taking consumers down.
                    await DeadLetterAsync(subscription, entry, "redelivered too often");
                    continue;
                }
                deliveries.Add(Parse(subscription, entry));
            }
            await DeliverInLanesAsync(deliveries, readAt, cancellationToken);
        }
    }

    /// <summary>An entry with its CloudEvent (null when it is not one); the stream is the topic, whatever the envelope says.</summary>
    private Delivery Parse(EventSubscription subscription, StreamEntry entry)
    {
        var data = entry[RedisStreamFields.Data];
        var envelope = data.IsNull ? null : EventEnvelope.TryParse(data.ToString(), subscription.Topic, _options.PubSubName);
        return new Delivery(subscription, entry, envelope is null ? null : envelope with { Topic = subscription.Topic });
    }

    private async Task DeliverAsync(Delivery delivery, DateTimeOffset deadline, AckBatch handled, CancellationToken cancellationToken)
    {
        var (subscription, entry, envelope) = delivery;
        if (envelope is null)
        {
            await DeadLetterAsync(subscription, entry, entry[RedisStreamFields.Data].IsNull ? "no data field" : "not a CloudEvent");
            return;
        }

        for (var attempt = 1; ; attempt++)
        {
            var outcome = await dispatcher.DispatchAsync(envelope, "redis", cancellationToken);
            if (outcome == DispatchOutcome.Success)
            {
                // Acknowledged with the rest of the batch; should that be lost, the redelivery is de-duplicated.
                handled.Add(subscription.Topic, entry.Id);
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
            var backoff = _options.BackoffFor(attempt);
            if (timeProvider.GetUtcNow() + backoff >= deadline)
                throw new OperationCanceledException(cancellationToken);
            await Task.Delay(backoff, timeProvider, cancellationToken);
        }
    }

    /// <summary>
    /// Moves the entry to the dead-letter stream with every field it has (whatever it lacks) and the
    /// reason, then acknowledges it. Two steps, not one transaction: the topic and its dead-letter topic
    /// are Dapr's stream names, in two hash slots on a Redis Cluster. The add comes first, so a crash in
    /// between leaves the entry pending, to be dead-lettered again (a duplicate dead letter, never a lost one).
    /// </summary>
    private async Task DeadLetterAsync(EventSubscription subscription, StreamEntry entry, string reason)
    {
        LogDeadLettered(entry.Id.ToString(), subscription.Topic, subscription.DeadLetterTopic, reason);
        var fields = entry.Values
            .Where(field => !field.Name.IsNull && !field.Value.IsNull && field.Name != ReasonField && field.Name != EntryIdField)
            .Append(new NameValueEntry(ReasonField, reason))
            .Append(new NameValueEntry(EntryIdField, entry.Id.ToString()))
            .ToArray();
        var db = redis.GetDatabase();
        await db.StreamAddAsync(subscription.DeadLetterTopic, fields, maxLength: _options.MaxStreamLength, useApproximateMaxLength: true);
        await db.StreamAcknowledgeAsync(subscription.Topic, _options.AppId, entry.Id);
        EventBusMetrics.EventDeadLettered(subscription.Topic, reason);
    }

    private sealed record Delivery(EventSubscription Subscription, StreamEntry Entry, EventEnvelope? Envelope);

    /// <summary>The entries of one batch handled successfully, per topic, acknowledged together at its end.</summary>
    private sealed class AckBatch
    {
        private readonly Dictionary<string, List<RedisValue>> _ids = new(StringComparer.Ordinal);

        public void Add(string topic, RedisValue id)
        {
            lock (_ids)
            {
                if (!_ids.TryGetValue(topic, out var ids))
                    _ids[topic] = ids = [];
                ids.Add(id);
            }
        }

        /// <summary>One XACK per topic with all its ids, sent together (pipelined), then awaited.</summary>
        public Task AcknowledgeAsync(IDatabaseAsync db, string group)
        {
            lock (_ids)
                return _ids.Count == 0
                    ? Task.CompletedTask
                    : Task.WhenAll(_ids.Select(topic => db.StreamAcknowledgeAsync(topic.Key, group, topic.Value.ToArray())));
        }
    }

    [LoggerMessage(LogLevel.Warning, "Redis Streams consumer failed ({Failures} in a row); backing off and going on")]
    private partial void LogLoopFailed(Exception exception, int failures);

    [LoggerMessage(LogLevel.Warning, "Delivery of entry {EntryId} of {Topic} failed; it stays pending and is reclaimed later")]
    private partial void LogDeliveryFailed(Exception exception, string entryId, string topic);

    [LoggerMessage(LogLevel.Warning, "Entry {EntryId} of {Topic} was not handled within {HandlerTimeout}; it and the rest of its lane stay pending for reclaim")]
    private partial void LogHandlerTimedOut(string entryId, string topic, TimeSpan handlerTimeout);

    [LoggerMessage(LogLevel.Information, "Reclaimed entry {EntryId} of {Topic} left pending by another consumer")]
    private partial void LogReclaimed(string entryId, string topic);

    [LoggerMessage(LogLevel.Error, "Entry {EntryId} of {Topic} moved to {DeadLetterTopic}: {Reason}")]
    private partial void LogDeadLettered(string entryId, string topic, string deadLetterTopic, string reason);
}
