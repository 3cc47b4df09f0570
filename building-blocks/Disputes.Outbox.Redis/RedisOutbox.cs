using System.Globalization;
using Disputes.EventBus;
using Disputes.Redis;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Disputes.Outbox.Redis;

/// <summary>
/// The transactional outbox: a service adds its events to the same Redis transaction
/// as the state change that caused them, so neither is ever written without the other.
/// <see cref="OutboxRelay"/> then publishes them.
/// </summary>
/// <remarks>
/// The outbox is <see cref="RedisPartitions.Count"/> streams, <c>{app}:{pNN}:outbox</c>, one per
/// partition: a dispute's events go to its partition's stream, in the slot of the dispute's own keys,
/// so on a Redis Cluster the change and its event still commit in one step. Each partition has its
/// own attempts hash and dead-letter stream in the same slot, so the relay's transactions stay in one
/// slot too. Events of one dispute keep their order (one stream); events of different partitions may
/// be published in any order, as they may already be consumed in any order.
/// </remarks>
public sealed class RedisOutbox(IOptions<EventBusOptions> options)
{
    public const string EnvelopeField = "envelope";
    public const string RelayGroup = "relay";

    private readonly string _prefix = options.Value.AppId + ":";

    /// <summary>The outbox's name in metrics, logs and the support tools: <c>{app}:outbox</c>, all partitions together.</summary>
    public string Name { get; } = $"{options.Value.AppId}:outbox";

    /// <summary>Every partition's stream, in partition order.</summary>
    public IReadOnlyList<RedisKey> StreamKeys { get; } = RedisPartitions.All.Select(p => RedisPartitions.KeyIn(options.Value.AppId + ":", p, "outbox")).ToArray();

    /// <summary>
    /// The outbox stream a dispute's events are written to, in the dispute's hash slot, so a script
    /// or transaction that changes the dispute can add its event in the same step.
    /// </summary>
    public RedisKey StreamKeyOf(string partitionKey) => StreamKeys[RedisPartitions.Of(partitionKey)];

    /// <summary>The stream of a partition (<c>{app}:{pNN}:outbox</c>).</summary>
    public RedisKey StreamKeyIn(int partition) => StreamKeys[partition];

    /// <summary>
    /// The partition an envelope is written to: its dispute's, or, for an event that names no dispute
    /// (none does today), the partition of its event id.
    /// </summary>
    public static int PartitionOf(EventEnvelope envelope) => RedisPartitions.Of(envelope.DisputeId ?? envelope.Id);

    /// <summary>A partition's entries whose publish failed more often than <see cref="EventBusOptions.MaxPublishAttempts"/>, kept for inspection.</summary>
    public RedisKey DeadLetterStreamKeyIn(int partition) => RedisPartitions.KeyIn(_prefix, partition, "outbox:deadletter");

    /// <summary>A partition's failed publish attempts per entry id (a hash), so the cap holds across relays and restarts.</summary>
    public RedisKey AttemptsKeyIn(int partition) => RedisPartitions.KeyIn(_prefix, partition, "outbox:attempts");

    /// <summary>Raised once an outbox write of this process commits; the relay waits on it instead of polling.</summary>
    public OutboxSignal Written { get; } = new();

    /// <summary>
    /// Queues the event in the transaction, in the stream of its dispute's partition; it is written only
    /// if the transaction commits, and the relay is woken then for that partition (the add's task
    /// completes only after EXEC succeeds; it is cancelled when a condition fails).
    /// </summary>
    public void Add(ITransaction transaction, EventEnvelope envelope)
    {
        var partition = PartitionOf(envelope);
        _ = transaction.StreamAddAsync(StreamKeys[partition], EnvelopeField, envelope.ToCloudEventJson())
            .ContinueWith(static (added, state) =>
            {
                var (signal, partition) = ((OutboxSignal, int))state!;
                if (added.IsCompletedSuccessfully)
                    signal.Notify(partition);
            }, (Written, partition), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

    /// <summary>
    /// Wakes the relay after a write that added to <see cref="StreamKeyOf"/> of this dispute outside
    /// <see cref="Add"/> (a server-side script): only that partition is read. Call it after the write succeeded.
    /// </summary>
    public void NotifyWritten(string partitionKey) => Written.Notify(RedisPartitions.Of(partitionKey));

    /// <summary>
    /// How long the oldest entry still in the outbox, over every partition, has waited (zero when all
    /// are empty). Published entries are deleted, so each stream's first entry is its oldest one not
    /// yet published. One round trip per node: the reads go out together.
    /// </summary>
    public async Task<TimeSpan> OldestEntryAgeAsync(IDatabase db, DateTimeOffset now)
    {
        var batch = db.CreateBatch();
        var firsts = StreamKeys.Select(stream => batch.StreamRangeAsync(stream, "-", "+", count: 1)).ToArray();
        batch.Execute();
        var oldest = TimeSpan.Zero;
        foreach (var first in await Task.WhenAll(firsts))
        {
            if (first.Length > 0 && AgeOf(first[0].Id, now) is var age && age > oldest)
                oldest = age;
        }
        return oldest;
    }

    /// <summary>Entries waiting over every partition (published entries are deleted).</summary>
    public async Task<long> LengthAsync(IDatabase db)
    {
        var batch = db.CreateBatch();
        var lengths = StreamKeys.Select(stream => batch.StreamLengthAsync(stream)).ToArray();
        batch.Execute();
        return (await Task.WhenAll(lengths)).Sum();
    }

    /// <summary>How long ago a stream entry id's time was (its milliseconds part), never negative.</summary>
    internal static TimeSpan AgeOf(RedisValue entryId, DateTimeOffset now)
    {
        var id = entryId.ToString();
        var dash = id.IndexOf('-');
        if (!long.TryParse(dash < 0 ? id : id[..dash], NumberStyles.None, CultureInfo.InvariantCulture, out var milliseconds))
            return TimeSpan.Zero;
        var age = now - DateTimeOffset.FromUnixTimeMilliseconds(milliseconds);
        return age > TimeSpan.Zero ? age : TimeSpan.Zero;
    }
}
