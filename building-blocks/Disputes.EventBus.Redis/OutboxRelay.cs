using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Disputes.EventBus.Redis;

/// <summary>
/// Publishes outbox entries through the configured transport, a batch at a time, and removes
/// them only after they are published. Replicas share the work through a consumer group; entries
/// of a relay that crashed mid-publish are reclaimed, and consumers de-duplicate the
/// resulting redelivery by CloudEvent id.
/// </summary>
public sealed partial class OutboxRelay(
    IConnectionMultiplexer redis,
    RedisOutbox outbox,
    IEventPublisher publisher,
    IOptions<EventBusOptions> options,
    TimeProvider timeProvider,
    ILogger<OutboxRelay> logger) : BackgroundService
{
    private const int BatchSize = 64;
    private readonly EventBusOptions _options = options.Value;
    private readonly string _consumer = $"relay-{Environment.MachineName}-{Environment.ProcessId}-{Guid.NewGuid():N}"[..^24];

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var groupReady = false;
        var failures = 0;
        var nextReclaim = DateTimeOffset.MinValue;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                if (!groupReady)
                {
                    await redis.GetDatabase().CreateIfMissingAsync(outbox.StreamKey, RedisOutbox.RelayGroup);
                    groupReady = true;
                }

                var now = timeProvider.GetUtcNow();
                var reclaim = now >= nextReclaim;
                if (reclaim)
                    nextReclaim = now + _options.ProcessingTimeout / 2;
                // Own pending entries exist only after a failed publish: read them again only then.
                var entries = await NextBatchAsync(retryOwnPending: failures > 0, reclaim);

                if (entries.Length == 0)
                {
                    failures = 0;
                    await Task.Delay(_options.PollInterval, timeProvider, stoppingToken);
                    continue;
                }

                await RelayAsync(entries, stoppingToken);
                failures = 0;
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                // Left pending: this relay reads its own pending entries first next time round.
                if (ex is RedisServerException { Message: var message } && message.StartsWith("NOGROUP", StringComparison.Ordinal))
                    groupReady = false;
                failures++;
                LogRelayFailed(ex, failures);
                await Task.Delay(_options.BackoffFor(Math.Min(failures, 6)), timeProvider, stoppingToken);
            }
        }
    }

    private async Task<StreamEntry[]> NextBatchAsync(bool retryOwnPending, bool reclaim)
    {
        var db = redis.GetDatabase();
        if (retryOwnPending)
        {
            // A publish that failed is retried before anything newer.
            var pending = await db.StreamReadGroupAsync(outbox.StreamKey, RedisOutbox.RelayGroup, _consumer, "0", BatchSize);
            if (pending.Length > 0)
                return pending;
        }
        if (reclaim)
        {
            var claimed = await db.StreamAutoClaimAsync(outbox.StreamKey, RedisOutbox.RelayGroup, _consumer,
                (long)_options.ProcessingTimeout.TotalMilliseconds, "0-0", BatchSize);
            var live = claimed.ClaimedEntries.Where(e => !e.IsNull).ToArray();
            if (live.Length > 0)
                return live;
        }
        return await db.StreamReadGroupAsync(outbox.StreamKey, RedisOutbox.RelayGroup, _consumer, StreamPosition.NewMessages, BatchSize);
    }

    /// <summary>
    /// Publishes a batch together, then removes it in one transaction. If any publish fails the
    /// whole batch stays pending and is published again: consumers drop the repeats by id.
    /// </summary>
    private async Task RelayAsync(StreamEntry[] entries, CancellationToken cancellationToken)
    {
        var readable = new List<RedisValue>(entries.Length);
        var publishing = new List<Task>(entries.Length);
        foreach (var entry in entries)
        {
            if (EventEnvelope.TryParse(entry[RedisOutbox.EnvelopeField].ToString()) is { } envelope)
            {
                readable.Add(entry.Id);
                publishing.Add(PublishAsync(envelope, cancellationToken));
            }
            else
            {
                // Only this process writes the outbox, so this is a bug: acknowledged, but kept for inspection.
                LogUnreadable(entry.Id.ToString());
            }
        }
        await Task.WhenAll(publishing);

        var done = redis.GetDatabase().CreateTransaction();
        _ = done.StreamAcknowledgeAsync(outbox.StreamKey, RedisOutbox.RelayGroup, entries.Select(e => e.Id).ToArray());
        _ = done.StreamDeleteAsync(outbox.StreamKey, readable.ToArray());
        await done.ExecuteAsync();
    }

    private async Task PublishAsync(EventEnvelope envelope, CancellationToken cancellationToken)
    {
        using var activity = EventBusTelemetry.StartPublish(envelope, publisher.System);
        try
        {
            await publisher.PublishAsync(EventBusTelemetry.WithTraceOf(envelope, activity), cancellationToken);
        }
        catch (Exception ex)
        {
            activity?.AddException(ex);
            activity?.SetStatus(System.Diagnostics.ActivityStatusCode.Error, ex.Message);
            throw;
        }
    }

    [LoggerMessage(LogLevel.Warning, "Outbox relay failed ({Failures} in a row); retrying")]
    private partial void LogRelayFailed(Exception exception, int failures);

    [LoggerMessage(LogLevel.Error, "Outbox entry {EntryId} is not a CloudEvent; acknowledged and left in the stream")]
    private partial void LogUnreadable(string entryId);
}
