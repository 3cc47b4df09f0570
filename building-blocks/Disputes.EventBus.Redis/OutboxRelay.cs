using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Disputes.EventBus.Redis;

/// <summary>
/// Publishes outbox entries through the configured transport and removes the published ones of a
/// batch together (one transaction), so one entry that fails never holds back the others. A failed entry is retried
/// with backoff up to <see cref="EventBusOptions.MaxPublishAttempts"/>, then moved to the outbox's
/// dead-letter stream. Replicas share the work through a consumer group; entries of a relay that
/// crashed mid-publish are reclaimed, and consumers de-duplicate the redelivery by CloudEvent id.
/// It does not poll: an outbox write of this process wakes it (<see cref="RedisOutbox.Written"/>),
/// and a slow sweep (<see cref="EventBusOptions.OutboxSweepInterval"/>) relays what others left.
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
    private static readonly TimeSpan AgeMeasureInterval = TimeSpan.FromSeconds(1);
    private readonly EventBusOptions _options = options.Value;
    private readonly string _consumer = $"relay-{Environment.MachineName}-{Environment.ProcessId}-{Guid.NewGuid():N}"[..^24];

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var groupReady = false;
        var failures = 0;
        var retryRounds = 0;
        var nextRetry = DateTimeOffset.MaxValue;
        var nextReclaim = DateTimeOffset.MinValue;
        var nextAgeMeasure = DateTimeOffset.MinValue;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                var db = redis.GetDatabase();
                if (!groupReady)
                {
                    await db.CreateIfMissingAsync(outbox.StreamKey, RedisOutbox.RelayGroup);
                    groupReady = true;
                    // Own pending entries may be left from before the error: look at them first.
                    nextRetry = DateTimeOffset.MinValue;
                }

                var now = timeProvider.GetUtcNow();
                if (now >= nextAgeMeasure)
                {
                    EventBusMetrics.OutboxAge(outbox.StreamKey.ToString(), await outbox.OldestEntryAgeAsync(db, now));
                    nextAgeMeasure = now + AgeMeasureInterval;
                }

                var entries = new Dictionary<string, StreamEntry>(StringComparer.Ordinal);
                var retrying = now >= nextRetry;
                if (retrying)
                    Collect(entries, await db.StreamReadGroupAsync(outbox.StreamKey, RedisOutbox.RelayGroup, _consumer, "0", BatchSize));
                if (now >= nextReclaim)
                {
                    nextReclaim = now + _options.ProcessingTimeout / 2;
                    var claimed = await db.StreamAutoClaimAsync(outbox.StreamKey, RedisOutbox.RelayGroup, _consumer,
                        (long)_options.ProcessingTimeout.TotalMilliseconds, "0-0", BatchSize);
                    Collect(entries, claimed.ClaimedEntries);
                }
                Collect(entries, await db.StreamReadGroupAsync(outbox.StreamKey, RedisOutbox.RelayGroup, _consumer, StreamPosition.NewMessages, BatchSize));
                failures = 0;

                if (entries.Count == 0)
                {
                    if (retrying)
                        nextRetry = DateTimeOffset.MaxValue;
                    // Woken as soon as a write of this process commits; the sweep catches the rest
                    // (another replica's entries, a retry that falls due).
                    var untilRetry = nextRetry == DateTimeOffset.MaxValue ? _options.OutboxSweepInterval : nextRetry - timeProvider.GetUtcNow();
                    await outbox.Written.WaitAsync(untilRetry < _options.OutboxSweepInterval ? untilRetry : _options.OutboxSweepInterval,
                        timeProvider, stoppingToken);
                    continue;
                }

                var results = await Task.WhenAll(entries.Values.Select(entry => RelayAsync(db, entry, stoppingToken)));
                await RemovePublishedAsync(db, entries.Values.Where((_, i) => results[i] == Relayed.Published).ToArray());
                if (results.All(relayed => relayed != Relayed.Failed))
                {
                    if (retrying)
                    {
                        retryRounds = 0;
                        nextRetry = DateTimeOffset.MaxValue;
                    }
                }
                else if (retrying || nextRetry == DateTimeOffset.MaxValue)
                {
                    // The failed ones stay pending with this relay; newer entries keep flowing meanwhile.
                    retryRounds++;
                    nextRetry = timeProvider.GetUtcNow() + _options.BackoffFor(retryRounds);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                // Redis unreachable or a group removed under us: recreate the group (idempotent), back off, go on.
                groupReady = false;
                failures++;
                LogRelayFailed(ex, failures);
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

    private static void Collect(Dictionary<string, StreamEntry> entries, StreamEntry[] read)
    {
        foreach (var entry in read)
        {
            if (!entry.IsNull)
                entries.TryAdd(entry.Id.ToString(), entry);
        }
    }

    private enum Relayed { Published, DeadLettered, Failed }

    /// <summary>Publishes one entry; <see cref="Relayed.Failed"/> when it stays for another attempt.</summary>
    private async Task<Relayed> RelayAsync(IDatabase db, StreamEntry entry, CancellationToken cancellationToken)
    {
        var id = entry.Id.ToString();
        try
        {
            var json = entry[RedisOutbox.EnvelopeField];
            if ((json.IsNull ? null : EventEnvelope.TryParse(json.ToString())) is not { } envelope)
            {
                // Only this app writes the outbox, so this is a bug: kept for inspection, out of the way.
                await DeadLetterAsync(db, entry, "not a CloudEvent");
                return Relayed.DeadLettered;
            }

            try
            {
                await PublishAsync(envelope, cancellationToken);
            }
            catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
            {
                EventBusMetrics.PublishFailed(outbox.StreamKey.ToString());
                var attempts = await db.HashIncrementAsync(outbox.AttemptsKey, id);
                LogPublishFailed(ex, id, envelope.Topic, attempts, _options.MaxPublishAttempts);
                if (attempts >= _options.MaxPublishAttempts)
                {
                    await DeadLetterAsync(db, entry, $"publish failed {attempts} times: {ex.GetType().Name}");
                    return Relayed.DeadLettered;
                }
                return Relayed.Failed;
            }
            return Relayed.Published;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception ex)
        {
            // Contained: the entry stays pending and is tried again (published twice at worst; consumers de-duplicate).
            LogEntryFailed(ex, id);
            return Relayed.Failed;
        }
    }

    /// <summary>
    /// Removes the published entries of a batch in one transaction. Should it fail, they stay pending
    /// and are published again (consumers de-duplicate by CloudEvent id).
    /// </summary>
    private async Task RemovePublishedAsync(IDatabase db, StreamEntry[] published)
    {
        if (published.Length == 0)
            return;
        var ids = published.Select(entry => entry.Id).ToArray();
        var done = db.CreateTransaction();
        _ = done.StreamAcknowledgeAsync(outbox.StreamKey, RedisOutbox.RelayGroup, ids);
        _ = done.StreamDeleteAsync(outbox.StreamKey, ids);
        _ = done.HashDeleteAsync(outbox.AttemptsKey, ids);
        await done.ExecuteAsync();
        foreach (var _ in ids)
            EventBusMetrics.Published(outbox.StreamKey.ToString());
    }

    /// <summary>Moves the entry, with every field it has and the reason, to the outbox's dead-letter stream, in one transaction.</summary>
    private async Task DeadLetterAsync(IDatabase db, StreamEntry entry, string reason)
    {
        LogDeadLettered(entry.Id.ToString(), outbox.DeadLetterStreamKey.ToString(), reason);
        var fields = entry.Values
            .Where(field => !field.Name.IsNull && !field.Value.IsNull)
            .Append(new NameValueEntry("deadletter-reason", reason))
            .Append(new NameValueEntry("deadletter-entry-id", entry.Id.ToString()))
            .ToArray();
        var transaction = db.CreateTransaction();
        _ = transaction.StreamAddAsync(outbox.DeadLetterStreamKey, fields, maxLength: _options.MaxStreamLength, useApproximateMaxLength: true);
        _ = transaction.StreamAcknowledgeAsync(outbox.StreamKey, RedisOutbox.RelayGroup, entry.Id);
        _ = transaction.StreamDeleteAsync(outbox.StreamKey, [entry.Id]);
        _ = transaction.HashDeleteAsync(outbox.AttemptsKey, entry.Id.ToString());
        await transaction.ExecuteAsync();
        EventBusMetrics.OutboxEntryDeadLettered(outbox.StreamKey.ToString());
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

    [LoggerMessage(LogLevel.Warning, "Outbox relay failed ({Failures} in a row); backing off and going on")]
    private partial void LogRelayFailed(Exception exception, int failures);

    [LoggerMessage(LogLevel.Warning, "Publishing outbox entry {EntryId} to {Topic} failed (attempt {Attempts} of {MaxAttempts})")]
    private partial void LogPublishFailed(Exception exception, string entryId, string topic, long attempts, int maxAttempts);

    [LoggerMessage(LogLevel.Warning, "Outbox entry {EntryId} could not be relayed; it stays pending")]
    private partial void LogEntryFailed(Exception exception, string entryId);

    [LoggerMessage(LogLevel.Error, "Outbox entry {EntryId} moved to {DeadLetterStream}: {Reason}")]
    private partial void LogDeadLettered(string entryId, string deadLetterStream, string reason);
}
