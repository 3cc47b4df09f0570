using System.Globalization;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Disputes.EventBus.Redis;

/// <summary>
/// The transactional outbox: a service adds its events to the same Redis transaction
/// as the state change that caused them, so neither is ever written without the other.
/// <see cref="OutboxRelay"/> then publishes them.
/// </summary>
public sealed class RedisOutbox(IOptions<EventBusOptions> options)
{
    public const string EnvelopeField = "envelope";
    public const string RelayGroup = "relay";

    public RedisKey StreamKey { get; } = $"{options.Value.AppId}:outbox";

    /// <summary>
    /// The outbox stream a dispute's events are written to, in the dispute's hash slot, so a script
    /// or transaction that changes the dispute can add its event in the same step.
    /// </summary>
    public RedisKey StreamKeyOf(string partitionKey)
    {
        ArgumentNullException.ThrowIfNull(partitionKey);
        return StreamKey;
    }

    /// <summary>Entries whose publish failed more often than <see cref="EventBusOptions.MaxPublishAttempts"/>, kept for inspection.</summary>
    public RedisKey DeadLetterStreamKey { get; } = $"{options.Value.AppId}:outbox:deadletter";

    /// <summary>Failed publish attempts per entry id (a hash), so the cap holds across relays and restarts.</summary>
    public RedisKey AttemptsKey { get; } = $"{options.Value.AppId}:outbox:attempts";

    /// <summary>Raised once an outbox write of this process commits; the relay waits on it instead of polling.</summary>
    public OutboxSignal Written { get; } = new();

    /// <summary>
    /// Queues the event in the transaction; it is written only if the transaction commits, and the
    /// relay is woken then (the add's task completes only after EXEC succeeds; it is cancelled when
    /// a condition fails).
    /// </summary>
    public void Add(ITransaction transaction, EventEnvelope envelope) =>
        _ = transaction.StreamAddAsync(StreamKey, EnvelopeField, envelope.ToCloudEventJson())
            .ContinueWith(static (added, signal) =>
            {
                if (added.IsCompletedSuccessfully)
                    ((OutboxSignal)signal!).Notify();
            }, Written, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);

    /// <summary>
    /// Wakes the relay after a write that added to the outbox outside <see cref="Add"/> (a server-side
    /// script). Call it after the write succeeded; a call when nothing was added costs one empty read.
    /// </summary>
    public void NotifyWritten() => Written.Notify();

    /// <summary>
    /// How long the oldest entry still in the outbox has waited (zero when it is empty). Published
    /// entries are deleted, so the first entry is the oldest one not yet published.
    /// </summary>
    public async Task<TimeSpan> OldestEntryAgeAsync(IDatabase db, DateTimeOffset now)
    {
        var oldest = await db.StreamRangeAsync(StreamKey, "-", "+", count: 1);
        if (oldest.Length == 0)
            return TimeSpan.Zero;
        var id = oldest[0].Id.ToString();
        var dash = id.IndexOf('-');
        if (!long.TryParse(dash < 0 ? id : id[..dash], NumberStyles.None, CultureInfo.InvariantCulture, out var milliseconds))
            return TimeSpan.Zero;
        var age = now - DateTimeOffset.FromUnixTimeMilliseconds(milliseconds);
        return age > TimeSpan.Zero ? age : TimeSpan.Zero;
    }
}
