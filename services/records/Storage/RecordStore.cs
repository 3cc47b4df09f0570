using System.Globalization;
using Disputes.EventBus;
using Disputes.Outbox.Redis;
using Disputes.Procedure;
using Disputes.Records.Domain;
using Disputes.Redis;
using Disputes.ServiceDefaults.Grpc;
using Disputes.V1;
using Disputes.V1.Events;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using StackExchange.Redis;

namespace Disputes.Records.Storage;

/// <summary>What an append asks for beside the entry itself.</summary>
public sealed record AppendOptions
{
    /// <summary>The source's key (an event id or a request's structured key): recorded once.</summary>
    public string? SourceKey { get; init; }

    /// <summary>What identifies the request behind the source, so a replay with another body is told apart.</summary>
    public string Fingerprint { get; init; } = "";

    /// <summary>The dispute's state after the entry.</summary>
    public DisputeRecord? State { get; init; }

    /// <summary>A held event the entry replaces.</summary>
    public string? HeldEventId { get; init; }

    /// <summary>A draft the entry replaces.</summary>
    public string? DraftId { get; init; }

    /// <summary>When the entry opens the record: the raise time that places the challenge in the escalation log.</summary>
    public DateTimeOffset? RaisedTime { get; init; }

    /// <summary>The event to publish with the entry, built from the sealed entry.</summary>
    public Func<RecordEntry, EventEnvelope>? Publish { get; init; }
}

public enum AppendStatus { Appended, Duplicate, Conflict }

public sealed record AppendResult(AppendStatus Status, RecordEntry? Entry, long ExistingSequence = 0, string ExistingFingerprint = "");

/// <summary><c>Records:Storage</c>: how long the record remembers the sources it recorded.</summary>
public sealed class RecordStoreOptions
{
    public const string SectionName = "Records:Storage";

    /// <summary>
    /// How long a recorded source (an event id, a request id) is remembered after the dispute's last
    /// append: a redelivery or a retry within it is answered from the entry it made. After it, an
    /// event's version (or, for an event without one, the entries' source event ids) still keeps it
    /// from being recorded twice; a request id is then a new request.
    /// </summary>
    public TimeSpan SourceRetention { get; set; } = TimeSpan.FromDays(30);
}

/// <summary>
/// The minuted record under the <c>records:</c> prefix: an append-only list per dispute, its
/// head (sequence and hash), an HMAC checkpoint of the head, and the dispute's state as the
/// record knows it. An append is one server-side script conditioned on the head it was sealed
/// against, so concurrent appends never fork the chain, and on its source, so a redelivered
/// event or a retried request is never recorded twice. Every key of a dispute carries its
/// partition's hash tag (<c>records:{p07}:entries:{id}</c>), and so do the report index and the
/// outbox stream its scripts write, so each script touches one slot of a Redis Cluster.
/// </summary>
public sealed class RecordStore(IConnectionMultiplexer redis, TimeProvider timeProvider, RecordCheckpoints checkpoints, RedisOutbox outbox,
    IntegrationEventFactory events, RecordStoreOptions? storeOptions = null)
{
    public const string Prefix = "records:";
    private const int MaxAppendAttempts = 64;
    private readonly RecordStoreOptions _options = storeOptions ?? new RecordStoreOptions();

    public RecordStore(IConnectionMultiplexer redis, TimeProvider timeProvider, RecordStoreOptions? storeOptions = null)
        : this(redis, timeProvider, new RecordCheckpoints(null), DefaultOptions, timeProvider, storeOptions)
    {
    }

    private RecordStore(IConnectionMultiplexer redis, TimeProvider timeProvider, RecordCheckpoints checkpoints,
        Microsoft.Extensions.Options.IOptions<EventBusOptions> options, TimeProvider clock, RecordStoreOptions? storeOptions)
        : this(redis, timeProvider, checkpoints, new RedisOutbox(options), new IntegrationEventFactory(options, clock, IntegrationEvents.Catalog), storeOptions)
    {
    }

    /// <summary>How long a recorded source is remembered after the dispute's last append (<see cref="RecordStoreOptions.SourceRetention"/>).</summary>
    public TimeSpan SourceRetention => _options.SourceRetention;

    private static Microsoft.Extensions.Options.IOptions<EventBusOptions> DefaultOptions =>
        Microsoft.Extensions.Options.Options.Create(new EventBusOptions { AppId = "records" });

    public RecordCheckpoints Checkpoints => checkpoints;

    /// <summary>A key of the dispute, in its partition's slot: <c>records:{p07}:{kind}:{challenge}</c>.</summary>
    public static RedisKey DisputeKey(string kind, string challengeId) => RedisPartitions.KeyOf(Prefix, challengeId, $"{kind}:{challengeId}");

    public static RedisKey EntriesKey(string challengeId) => DisputeKey("entries", challengeId);
    public static RedisKey HeadKey(string challengeId) => DisputeKey("head", challengeId);
    public static RedisKey CheckpointKey(string challengeId) => DisputeKey("checkpoint", challengeId);
    public static RedisKey StateKey(string challengeId) => DisputeKey("record", challengeId);
    public static RedisKey IndexKey(string challengeId) => DisputeKey("index", challengeId);
    public static RedisKey HeldKey(string challengeId) => DisputeKey("held", challengeId);
    public static RedisKey DraftsKey(string challengeId) => DisputeKey("drafts", challengeId);

    /// <summary>
    /// The sources recorded for the dispute (a hash: event id or request key to what it made), kept
    /// <see cref="SourceRetention"/> after the dispute's last append.
    /// </summary>
    public static RedisKey SourcesKey(string challengeId) => DisputeKey("sources", challengeId);

    /// <summary>The escalation log's index of one partition: challenge ids scored by raise time (Unix milliseconds).</summary>
    public static RedisKey ReportIndexIn(int partition) => RedisPartitions.KeyIn(Prefix, partition, "report:raised");

    /// <summary>The escalation log's index of the partition the dispute belongs to.</summary>
    public static RedisKey ReportIndexOf(string challengeId) => ReportIndexIn(RedisPartitions.Of(challengeId));

    /// <summary>The head and the state, read together so a decision is never made on a state older than its head.</summary>
    public async Task<(RecordHead? Head, DisputeRecord? State)> ReadAsync(string challengeId)
    {
        var transaction = redis.GetDatabase().CreateTransaction();
        var head = transaction.StringGetAsync(HeadKey(challengeId));
        var state = transaction.HashGetAllAsync(StateKey(challengeId));
        await transaction.ExecuteAsync();
        return (RecordHead.Parse(await head), DisputeRecordHash.Read(await state));
    }

    public async Task<DisputeRecord?> GetStateAsync(string challengeId) =>
        DisputeRecordHash.Read(await redis.GetDatabase().HashGetAllAsync(StateKey(challengeId)));

    /// <summary>Seals the entry after <paramref name="head"/> and appends it, unless the head moved or the source is recorded.</summary>
    public async Task<AppendResult> TryAppendAsync(string challengeId, RecordHead? head, RecordEntry entry, AppendOptions options)
    {
        var entryId = SortableId.New(timeProvider);
        var sealedEntry = entry.Clone();
        sealedEntry.Name = $"{ResourceNames.Challenge(challengeId)}/entries/{entryId}";
        sealedEntry.Sequence = (head?.Sequence ?? 0) + 1;
        sealedEntry.RecordTime = Timestamp.FromDateTimeOffset(timeProvider.GetUtcNow());
        RecordChain.Seal(sealedEntry, head?.Hash ?? "");
        var newHead = new RecordHead(sealedEntry.Sequence, sealedEntry.Hash);
        var checkpoint = checkpoints.Seal(challengeId, newHead.Sequence, newHead.Hash);

        var values = new List<RedisValue>
        {
            head?.ToString() ?? "",
            sealedEntry.ToByteArray(),
            newHead.ToString(),
            options.SourceKey ?? "",
            $"{sealedEntry.Sequence.ToString(CultureInfo.InvariantCulture)}|{options.Fingerprint}",
            checkpoint?.ToString() ?? "",
            options.Publish?.Invoke(sealedEntry).ToCloudEventJson() ?? "",
            options.HeldEventId ?? options.DraftId ?? "",
            entryId,
            options.RaisedTime is { } raised ? (RedisValue)raised.ToUnixTimeMilliseconds() : RedisValue.EmptyString,
            challengeId,
            events.Create(HeadAdvanced(challengeId, sealedEntry)).ToCloudEventJson(),
            RetentionMilliseconds,
        };
        if (options.State is { } state)
            values.AddRange(DisputeRecordHash.Write(state).SelectMany(e => new[] { (RedisValue)e.Name, e.Value }));

        RedisKey[] keys =
        [
            HeadKey(challengeId),
            EntriesKey(challengeId),
            SourcesKey(challengeId),
            StateKey(challengeId),
            IndexKey(challengeId),
            CheckpointKey(challengeId),
            options.DraftId is not null ? DraftsKey(challengeId) : HeldKey(challengeId),
            outbox.StreamKeyOf(challengeId),
            ReportIndexOf(challengeId),
        ];
        var result = (RedisResult[])(await RecordScripts.Append.RunAsync(redis.GetDatabase(), keys, [.. values]))!;
        // Every append queues the head it advanced to (RecordHeadAdvanced), with or without an event of its own.
        if ((string)result[0]! == RecordScripts.Appended)
            outbox.NotifyWritten(challengeId);
        return ((string)result[0]!) switch
        {
            RecordScripts.Appended => new AppendResult(AppendStatus.Appended, sealedEntry),
            RecordScripts.Duplicate => Existing((string)result[1]!),
            _ => new AppendResult(AppendStatus.Conflict, null),
        };
    }

    /// <summary>The head an entry makes, for the witness: ids and hashes only, never the narrative.</summary>
    public static RecordHeadAdvanced HeadAdvanced(string challengeId, RecordEntry sealedEntry) => new()
    {
        Challenge = ResourceNames.Challenge(challengeId),
        Version = sealedEntry.Sequence,
        Sequence = sealedEntry.Sequence,
        OccurTime = sealedEntry.RecordTime,
        HeadHash = sealedEntry.Hash,
        Entry = sealedEntry.Name,
    };

    /// <summary>
    /// Appends an entry with no decision to make on the state (kept for callers that only add
    /// words); null when its source event is already recorded.
    /// </summary>
    public async Task<RecordEntry?> AppendAsync(string challengeId, RecordEntry entry, string traceId, string? sourceEventId)
    {
        var unsealed = entry.Clone();
        unsealed.TraceId = traceId;
        unsealed.SourceEventId = sourceEventId ?? "";
        for (var attempt = 0; attempt < MaxAppendAttempts; attempt++)
        {
            var (head, _) = await ReadAsync(challengeId);
            var result = await TryAppendAsync(challengeId, head, unsealed, new AppendOptions { SourceKey = sourceEventId });
            if (result.Status == AppendStatus.Appended)
                return result.Entry;
            if (result.Status == AppendStatus.Duplicate)
                return null;
            await BackOffAsync(attempt);
        }
        throw new RedisException($"The record of {challengeId} kept changing during {MaxAppendAttempts} append attempts.");
    }

    /// <summary>Holds an event back; Conflict when the head moved since <paramref name="head"/>.</summary>
    public async Task<AppendStatus> TryHoldAsync(string challengeId, RecordHead? head, string eventId, string heldEvent)
    {
        var result = (RedisResult[])(await RecordScripts.Hold.RunAsync(redis.GetDatabase(),
            [HeadKey(challengeId), SourcesKey(challengeId), HeldKey(challengeId)], [head?.ToString() ?? "", eventId, heldEvent]))!;
        return ((string)result[0]!) switch
        {
            RecordScripts.Held => AppendStatus.Appended,
            RecordScripts.Duplicate => AppendStatus.Duplicate,
            _ => AppendStatus.Conflict,
        };
    }

    public async Task<IReadOnlyDictionary<string, string>> HeldAsync(string challengeId) =>
        (await redis.GetDatabase().HashGetAllAsync(HeldKey(challengeId))).ToDictionary(e => e.Name.ToString(), e => e.Value.ToString(), StringComparer.Ordinal);

    /// <summary>Saves a draft once per request (<paramref name="requestKey"/>); the existing draft's id when it was saved before.</summary>
    public async Task<(bool Saved, string ExistingDraftId, string ExistingFingerprint)> SaveDraftAsync(string challengeId, string draftId, RecordEntry draft,
        string requestKey, string fingerprint, EventEnvelope envelope)
    {
        var result = (RedisResult[])(await RecordScripts.SaveDraft.RunAsync(redis.GetDatabase(),
            [SourcesKey(challengeId), DraftsKey(challengeId), outbox.StreamKeyOf(challengeId)],
            [requestKey, $"{draftId}|{fingerprint}", draftId, draft.ToByteArray(), envelope.ToCloudEventJson(), RetentionMilliseconds]))!;
        if ((string)result[0]! == RecordScripts.Appended)
        {
            outbox.NotifyWritten(challengeId);
            return (true, "", "");
        }
        var existing = (string)result[1]!;
        var separator = existing.IndexOf('|');
        return (false, existing[..separator], existing[(separator + 1)..]);
    }

    public async Task<RecordEntry?> GetDraftAsync(string challengeId, string draftId)
    {
        var value = await redis.GetDatabase().HashGetAsync(DraftsKey(challengeId), draftId);
        return value.IsNull ? null : RecordEntry.Parser.ParseFrom((byte[])value!);
    }

    /// <summary>What a recorded source (event or request) of the dispute made, or null when it is not remembered.</summary>
    public async Task<AppendResult?> FindSourceAsync(string challengeId, string sourceKey)
    {
        var value = await redis.GetDatabase().HashGetAsync(SourcesKey(challengeId), sourceKey);
        return value.IsNull ? null : Existing(value.ToString());
    }

    /// <summary>
    /// What the record knows of each challenge raised in [start, end), in raise order: every
    /// partition's index read in one pipeline, then the states in another.
    /// </summary>
    public async Task<IReadOnlyList<DisputeRecord>> RaisedBetweenAsync(DateTimeOffset start, DateTimeOffset end)
    {
        var db = redis.GetDatabase();
        var indexBatch = db.CreateBatch();
        var ranges = RedisPartitions.All.Select(p => indexBatch.SortedSetRangeByScoreWithScoresAsync(ReportIndexIn(p),
            start.ToUnixTimeMilliseconds(), end.ToUnixTimeMilliseconds(), Exclude.Stop)).ToArray();
        indexBatch.Execute();
        var ids = (await Task.WhenAll(ranges)).SelectMany(r => r)
            .OrderBy(e => e.Score).ThenBy(e => e.Element.ToString(), StringComparer.Ordinal)
            .Select(e => e.Element).ToArray();
        var batch = db.CreateBatch();
        var reads = ids.Select(id => batch.HashGetAllAsync(StateKey(id.ToString()))).ToArray();
        batch.Execute();
        var records = new List<DisputeRecord>(reads.Length);
        foreach (var read in reads)
        {
            if (DisputeRecordHash.Read(await read) is { } record)
                records.Add(record);
        }
        return records;
    }

    public Task ForgetHeldAsync(string challengeId, string eventId) =>
        redis.GetDatabase().HashDeleteAsync(HeldKey(challengeId), eventId);

    /// <summary>Entries in record order, from position <paramref name="skip"/>.</summary>
    public async Task<IReadOnlyList<RecordEntry>> ListAsync(string challengeId, long skip = 0, long take = -1)
    {
        var stop = take < 0 ? -1 : skip + take - 1;
        var values = await redis.GetDatabase().ListRangeAsync(EntriesKey(challengeId), skip, stop);
        return values.Select(v => RecordEntry.Parser.ParseFrom((byte[])v!)).ToArray();
    }

    /// <summary>The entry with id <paramref name="entryId"/>, or null.</summary>
    public async Task<RecordEntry?> GetAsync(string challengeId, string entryId)
    {
        var position = await redis.GetDatabase().HashGetAsync(IndexKey(challengeId), entryId);
        return position.IsNull ? null : await GetBySequenceAsync(challengeId, (long)position);
    }

    public async Task<RecordEntry?> GetBySequenceAsync(string challengeId, long sequence)
    {
        var value = await redis.GetDatabase().ListGetByIndexAsync(EntriesKey(challengeId), sequence - 1);
        return value.IsNull ? null : RecordEntry.Parser.ParseFrom((byte[])value!);
    }

    public Task<long> CountAsync(string challengeId) => redis.GetDatabase().ListLengthAsync(EntriesKey(challengeId));

    /// <summary>
    /// What VerifyRecord checks: the entries with the head, the checkpoint and whether the record was ever opened,
    /// read in one transaction so an append in between never looks like tampering.
    /// </summary>
    public async Task<(IReadOnlyList<RecordEntry> Entries, RecordHead? Head, RecordCheckpoint? Checkpoint, bool Opened)> SealsAsync(string challengeId)
    {
        var transaction = redis.GetDatabase().CreateTransaction();
        var entries = transaction.ListRangeAsync(EntriesKey(challengeId));
        var head = transaction.StringGetAsync(HeadKey(challengeId));
        var checkpoint = transaction.StringGetAsync(CheckpointKey(challengeId));
        var opened = transaction.KeyExistsAsync(StateKey(challengeId));
        await transaction.ExecuteAsync();
        var list = (await entries).Select(v => RecordEntry.Parser.ParseFrom((byte[])v!)).ToArray();
        return (list, RecordHead.Parse(await head), RecordCheckpoint.Parse(await checkpoint), await opened);
    }

    private long RetentionMilliseconds => (long)_options.SourceRetention.TotalMilliseconds;

    public static Task BackOffAsync(int attempt) =>
        // Another append won the race; back off a little, at random, so the writers spread out.
        // Wall-clock milliseconds, not the record's clock: a test's fake clock must not stall contention.
        Task.Delay(TimeSpan.FromMilliseconds(Random.Shared.Next(1, 4 + attempt)));

    private static AppendResult Existing(string value)
    {
        var separator = value.IndexOf('|');
        var sequenceText = separator < 0 ? value : value[..separator];
        _ = long.TryParse(sequenceText, NumberStyles.None, CultureInfo.InvariantCulture, out var sequence);
        return new AppendResult(AppendStatus.Duplicate, null, sequence, separator < 0 ? "" : value[(separator + 1)..]);
    }
}
