using Disputes.EventBus;
using Disputes.Redis;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Disputes.Outbox.Redis;

/// <summary>
/// Publishes outbox entries through the configured transport and removes the published ones of a
/// batch together (one transaction per partition), so one entry that fails never holds back the others.
/// A failed entry is retried with backoff up to <see cref="EventBusOptions.MaxPublishAttempts"/>, then
/// moved to its partition's dead-letter stream. Replicas share the work through a consumer group on each
/// partition's stream; entries of a relay that crashed mid-publish are reclaimed, and consumers
/// de-duplicate the redelivery by CloudEvent id.
/// It does not poll: an outbox write of this process wakes it (<see cref="RedisOutbox.Written"/>) to read
/// the partitions written, and a slow sweep (<see cref="EventBusOptions.OutboxSweepInterval"/>) reads every
/// partition for what others left. The reads of several partitions go out together (one batch).
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
    private const int AllPartitions = (1 << RedisPartitions.Count) - 1;
    private static readonly TimeSpan AgeMeasureInterval = TimeSpan.FromSeconds(1);
    private readonly EventBusOptions _options = options.Value;
    private readonly string _consumer = $"relay-{Environment.MachineName}-{Environment.ProcessId}-{Guid.NewGuid():N}"[..^24];

    /// <summary>An outbox entry and the partition whose stream holds it (entry ids are unique per stream only).</summary>
    private readonly record struct Held(int Partition, StreamEntry Entry)
    {
        public string Id => Entry.Id.ToString();
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var groupReady = false;
        var failures = 0;
        var retryRounds = 0;
        var nextRetry = DateTimeOffset.MaxValue;
        var nextReclaim = DateTimeOffset.MinValue;
        var nextSweep = DateTimeOffset.MinValue;
        var nextAgeMeasure = DateTimeOffset.MinValue;
        var toRead = AllPartitions;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                var db = redis.GetDatabase();
                if (!groupReady)
                {
                    await Task.WhenAll(outbox.StreamKeys.Select(stream => db.CreateIfMissingAsync(stream, RedisOutbox.RelayGroup)));
                    groupReady = true;
                    // Own pending entries may be left from before the error: look at them first, everywhere.
                    nextRetry = DateTimeOffset.MinValue;
                    toRead = AllPartitions;
                }

                var now = timeProvider.GetUtcNow();
                if (now >= nextAgeMeasure)
                {
                    EventBusMetrics.OutboxAge(outbox.Name, await outbox.OldestEntryAgeAsync(db, now));
                    nextAgeMeasure = now + AgeMeasureInterval;
                }
                if (now >= nextSweep)
                {
                    toRead = AllPartitions;
                    nextSweep = now + _options.OutboxSweepInterval;
                }
                toRead |= outbox.Written.TakeWritten();

                var retrying = now >= nextRetry;
                var reclaiming = now >= nextReclaim;
                if (reclaiming)
                    nextReclaim = now + _options.ProcessingTimeout / 2;
                var (entries, full) = await ReadAsync(db, toRead, retrying, reclaiming);
                failures = 0;
                // A partition that filled its batch may hold more: read it again at once.
                toRead = full;

                if (entries.Count == 0)
                {
                    if (retrying)
                        nextRetry = DateTimeOffset.MaxValue;
                    // Woken as soon as a write of this process commits; the sweep catches the rest
                    // (another replica's entries, a retry that falls due).
                    var wakeAt = nextRetry < nextSweep ? nextRetry : nextSweep;
                    await outbox.Written.WaitAsync(wakeAt - timeProvider.GetUtcNow(), timeProvider, stoppingToken);
                    continue;
                }

                var results = await Task.WhenAll(entries.Select(held => RelayAsync(db, held, stoppingToken)));
                await RemovePublishedAsync(db, entries.Where((_, i) => results[i] == Relayed.Published));
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
                // Redis unreachable or a group removed under us: recreate the groups (idempotent), back off, go on.
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

    /// <summary>
    /// One batch of reads: new entries of the partitions in <paramref name="partitions"/>, and, when due,
    /// this relay's own pending entries (to retry) and others' abandoned ones (to reclaim) in every
    /// partition. Each command names one stream (one slot); they are sent together.
    /// </summary>
    private async Task<(List<Held> Entries, int Full)> ReadAsync(IDatabase db, int partitions, bool retrying, bool reclaiming)
    {
        var batch = db.CreateBatch();
        var reads = new List<(int Partition, bool New, Task<StreamEntry[]> Read)>();
        foreach (var partition in RedisPartitions.All)
        {
            var stream = outbox.StreamKeyIn(partition);
            if (retrying)
                reads.Add((partition, false, batch.StreamReadGroupAsync(stream, RedisOutbox.RelayGroup, _consumer, "0", BatchSize)));
            if (reclaiming)
                reads.Add((partition, false, ClaimedAsync(batch.StreamAutoClaimAsync(stream, RedisOutbox.RelayGroup, _consumer,
                    (long)_options.ProcessingTimeout.TotalMilliseconds, "0-0", BatchSize))));
            if ((partitions & (1 << partition)) != 0)
                reads.Add((partition, true, batch.StreamReadGroupAsync(stream, RedisOutbox.RelayGroup, _consumer, StreamPosition.NewMessages, BatchSize)));
        }
        batch.Execute();
        await Task.WhenAll(reads.Select(r => r.Read));

        var seen = new HashSet<(int, string)>();
        var entries = new List<Held>();
        var full = 0;
        foreach (var (partition, isNew, read) in reads)
        {
            var found = read.Result;
            if (isNew && found.Length >= BatchSize)
                full |= 1 << partition;
            foreach (var entry in found)
            {
                if (!entry.IsNull && seen.Add((partition, entry.Id.ToString())))
                    entries.Add(new Held(partition, entry));
            }
        }
        return (entries, full);
    }

    private static async Task<StreamEntry[]> ClaimedAsync(Task<StreamAutoClaimResult> claim) => (await claim).ClaimedEntries;

    private enum Relayed { Published, DeadLettered, Failed }

    /// <summary>Publishes one entry; <see cref="Relayed.Failed"/> when it stays for another attempt.</summary>
    private async Task<Relayed> RelayAsync(IDatabase db, Held held, CancellationToken cancellationToken)
    {
        var id = held.Id;
        try
        {
            var json = held.Entry[RedisOutbox.EnvelopeField];
            if ((json.IsNull ? null : EventEnvelope.TryParse(json.ToString())) is not { } envelope)
            {
                // Only this app writes the outbox, so this is a bug: kept for inspection, out of the way.
                await DeadLetterAsync(db, held, "not a CloudEvent");
                return Relayed.DeadLettered;
            }

            try
            {
                await PublishAsync(envelope, cancellationToken);
            }
            catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
            {
                EventBusMetrics.PublishFailed(outbox.Name);
                var attempts = await db.HashIncrementAsync(outbox.AttemptsKeyIn(held.Partition), id);
                LogPublishFailed(ex, id, envelope.Topic, attempts, _options.MaxPublishAttempts);
                if (attempts >= _options.MaxPublishAttempts)
                {
                    await DeadLetterAsync(db, held, $"publish failed {attempts} times: {ex.GetType().Name}");
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
    /// Removes the published entries of a batch, one transaction per partition (each in its partition's
    /// slot), sent together. Should one fail, its entries stay pending and are published again
    /// (consumers de-duplicate by CloudEvent id).
    /// </summary>
    private async Task RemovePublishedAsync(IDatabase db, IEnumerable<Held> published)
    {
        var done = new List<Task<bool>>();
        var count = 0;
        foreach (var partition in published.GroupBy(held => held.Partition))
        {
            var ids = partition.Select(held => held.Entry.Id).ToArray();
            var stream = outbox.StreamKeyIn(partition.Key);
            var transaction = db.CreateTransaction();
            _ = transaction.StreamAcknowledgeAsync(stream, RedisOutbox.RelayGroup, ids);
            _ = transaction.StreamDeleteAsync(stream, ids);
            _ = transaction.HashDeleteAsync(outbox.AttemptsKeyIn(partition.Key), ids);
            done.Add(transaction.ExecuteAsync());
            count += ids.Length;
        }
        if (done.Count == 0)
            return;
        await Task.WhenAll(done);
        for (var i = 0; i < count; i++)
            EventBusMetrics.Published(outbox.Name);
    }

    /// <summary>Moves the entry, with every field it has and the reason, to its partition's dead-letter stream, in one transaction.</summary>
    private async Task DeadLetterAsync(IDatabase db, Held held, string reason)
    {
        var (partition, entry) = (held.Partition, held.Entry);
        var deadLetters = outbox.DeadLetterStreamKeyIn(partition);
        LogDeadLettered(held.Id, deadLetters.ToString(), reason);
        var fields = entry.Values
            .Where(field => !field.Name.IsNull && !field.Value.IsNull)
            .Append(new NameValueEntry("deadletter-reason", reason))
            .Append(new NameValueEntry("deadletter-entry-id", held.Id))
            .ToArray();
        var stream = outbox.StreamKeyIn(partition);
        var transaction = db.CreateTransaction();
        _ = transaction.StreamAddAsync(deadLetters, fields, maxLength: _options.MaxStreamLength, useApproximateMaxLength: true);
        _ = transaction.StreamAcknowledgeAsync(stream, RedisOutbox.RelayGroup, entry.Id);
        _ = transaction.StreamDeleteAsync(stream, [entry.Id]);
        _ = transaction.HashDeleteAsync(outbox.AttemptsKeyIn(partition), entry.Id.ToString());
        await transaction.ExecuteAsync();
        EventBusMetrics.OutboxEntryDeadLettered(outbox.Name);
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
