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
        var handled = 0;
        foreach (var stream in streams)
        {
            var subscription = subscriptions.ForTopic(stream.Key.ToString())!;
            foreach (var entry in stream.Entries)
            {
                await DeliverAsync(subscription, entry, cancellationToken);
                handled++;
            }
        }
        return handled;
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
                    await DeliverAsync(subscription, entry, cancellationToken);
                }
                handled++;
            }
        }
        return handled;
    }

    private async Task DeliverAsync(EventSubscription subscription, StreamEntry entry, CancellationToken cancellationToken)
    {
        var envelope = EventEnvelope.TryParse(entry[RedisStreamFields.Data].ToString(), subscription.Topic, _options.PubSubName);
        if (envelope is null)
        {
            await DeadLetterAsync(subscription, entry, "not a CloudEvent");
            return;
        }
        // The stream is the topic, whatever the envelope says.
        envelope = envelope with { Topic = subscription.Topic };

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

    [LoggerMessage(LogLevel.Warning, "Redis Streams consumer could not read; retrying")]
    private partial void LogRedisUnavailable(Exception exception);

    [LoggerMessage(LogLevel.Information, "Reclaimed entry {EntryId} of {Topic} left pending by another consumer")]
    private partial void LogReclaimed(string entryId, string topic);

    [LoggerMessage(LogLevel.Error, "Entry {EntryId} of {Topic} moved to {DeadLetterTopic}: {Reason}")]
    private partial void LogDeadLettered(string entryId, string topic, string deadLetterTopic, string reason);
}
