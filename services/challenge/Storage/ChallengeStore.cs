using Disputes.Challenge.Domain;
using Disputes.EventBus;
using Disputes.Outbox.Redis;
using Disputes.Redis;
using Disputes.ServiceDefaults.Grpc;
using Google.Protobuf;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Disputes.Challenge.Storage;

/// <summary>A request_id already applied: the hash of the request that used it and the challenge it produced.</summary>
public sealed record AppliedRequest(string RequestHash, V1.Challenge Result);

/// <summary>How a conditional write ended.</summary>
public abstract record WriteOutcome
{
    public sealed record Written : WriteOutcome;

    /// <summary>The challenge changed since it was read (or its id was taken): nothing was written.</summary>
    public sealed record Conflict : WriteOutcome;

    /// <summary>The request id was applied meanwhile: nothing was written.</summary>
    public sealed record AlreadyApplied(AppliedRequest Request) : WriteOutcome;
}

/// <summary>
/// Challenges in Redis under the <c>challenge:</c> prefix, one hash each (the stored message,
/// its version, the overdue marker). Every change is one server-side script, conditional on the
/// version it was decided from, that also writes its event to the outbox and the request id
/// it answers: all of it or none of it (see <see cref="ChallengeWriteScript"/>).
/// </summary>
/// <remarks>
/// Laid out for Redis Cluster: every key of a challenge carries its partition's hash tag
/// (<c>challenge:{p07}:challenges:{id}</c>, <c>challenge:{p07}:requests:{key}</c>), the script writes the
/// partition's outbox stream and the partition's own indexes (<c>challenge:{p07}:index:all</c>,
/// <c>challenge:{p07}:index:agency:{agency}</c>), so it touches one hash slot; a list merges the 16
/// partitions' indexes.
/// </remarks>
public sealed class ChallengeStore(IConnectionMultiplexer redis, RedisOutbox outbox, IOptions<ChallengeStoreOptions> options)
{
    private const string Prefix = "challenge:";
    private const string DataField = "data";
    private const string VersionField = "version";
    private const string OverdueField = "overdue";
    private const string ChairVersionField = "chairVersion";
    /// <summary>A request key is one string: the request's SHA-256 (32 bytes), then its result compressed (<see cref="StoredResult"/>).</summary>
    private const int RequestHashLength = 32;
    private static readonly MessageParser<V1.Challenge> Parser = V1.Challenge.Parser.WithDiscardUnknownFields(true);
    private readonly long _requestRetentionMs = (long)options.Value.RequestIdRetention.TotalMilliseconds;

    public ChallengeStore(IConnectionMultiplexer redis, RedisOutbox outbox) : this(redis, outbox, Options.Create(new ChallengeStoreOptions()))
    {
    }

    /// <summary>The challenges of one partition, newest first (ids sort by creation time).</summary>
    public static RedisKey AllIndex(int partition) => RedisPartitions.KeyIn(Prefix, partition, "index:all");

    /// <summary>
    /// The challenges of one partition an agency is involved in: as a party, as the child's local
    /// authority, as the chair's agency.
    /// </summary>
    public static RedisKey AgencyIndex(string agencyId, int partition) => RedisPartitions.KeyIn(Prefix, partition, $"index:agency:{agencyId}");

    /// <summary>Every partition's index of all challenges, read together by a list.</summary>
    public static IReadOnlyList<RedisKey> AllIndexes() => RedisPartitions.All.Select(AllIndex).ToArray();

    /// <summary>Every partition's index of an agency's challenges, read together by a list.</summary>
    public static IReadOnlyList<RedisKey> AgencyIndexes(string agencyId) => RedisPartitions.All.Select(p => AgencyIndex(agencyId, p)).ToArray();

    public static RedisKey ChallengeKey(string id) => RedisPartitions.KeyOf(Prefix, id, "challenges:" + id);

    /// <summary>A request id is kept in the slot of the challenge it is about (for a raise, the one it created).</summary>
    public static RedisKey RequestKey(string challengeId, RequestFingerprint request) =>
        RedisPartitions.KeyOf(Prefix, challengeId, "requests:" + request.Key);

    /// <summary>
    /// The id of a new challenge. A raise with a request id must find its request key in the slot of the
    /// challenge it creates, yet a retry creates another id before it learns it is a replay; so the raise's
    /// partition is chosen by its request key (the same on every retry) and the id is drawn until it falls in
    /// that partition (16 draws on average; ids stay time-sorted). Every retry then meets the first call's
    /// request key in the script, however many race.
    /// </summary>
    public static string NewId(RequestFingerprint? request, TimeProvider timeProvider)
    {
        var id = SortableId.New(timeProvider);
        if (request is null)
            return id;
        var partition = RedisPartitions.Of(request.Key);
        // (15/16)^2000 is below 1e-56: the bound only keeps a broken hash from looping forever.
        for (var draw = 0; draw < 2000 && RedisPartitions.Of(id) != partition; draw++)
            id = SortableId.New(timeProvider);
        return RedisPartitions.Of(id) == partition ? id : throw new InvalidOperationException("No id fell in the request's partition.");
    }

    /// <param name="challenge">With a request id, a challenge whose id <see cref="NewId"/> drew for that request.</param>
    public Task<WriteOutcome> CreateAsync(ChallengeAggregate challenge, RequestFingerprint? request, EventEnvelope raised)
    {
        // Otherwise a retry's request key would lie in another partition than the first call's, and never be found.
        if (request is not null && RedisPartitions.Of(challenge.Id) != RedisPartitions.Of(request.Key))
            throw new ArgumentException($"A raise with a request id takes its id from {nameof(NewId)}, in the request's partition.", nameof(challenge));
        var stored = challenge.ToMessage();
        var bytes = stored.ToByteArray();
        var partition = RedisPartitions.Of(challenge.Id);
        var indexes = new[] { challenge.RaisingParty.AgencyId, challenge.ReceivingParty.AgencyId, challenge.Child.LocalAuthorityId }
            .Where(a => a.Length > 0).Distinct().Select(a => AgencyIndex(a, partition)).Append(AllIndex(partition));
        return WriteAsync(challenge.Id, expectedVersion: null, indexes, request, bytes, raised, ChallengeFields(bytes, stored.Version));
    }

    /// <summary>Writes the challenge a command produced, if it is still at <paramref name="readVersion"/>.</summary>
    public Task<WriteOutcome> SaveAsync(long readVersion, ChallengeAggregate after, RequestFingerprint? request, EventEnvelope @event)
    {
        var stored = after.ToMessage();
        var bytes = stored.ToByteArray();
        return WriteAsync(after.Id, readVersion, [], request, bytes, @event, ChallengeFields(bytes, stored.Version));
    }

    /// <summary>Records the appointed chair (no event, no version change), if the challenge is still at <paramref name="readVersion"/>.</summary>
    public async Task<bool> SaveChairAsync(long readVersion, ChallengeAggregate after)
    {
        RedisKey[] indexes = after.IndependentChair is { AgencyId.Length: > 0 } chair ? [AgencyIndex(chair.AgencyId, RedisPartitions.Of(after.Id))] : [];
        return await WriteAsync(after.Id, readVersion, indexes, request: null, result: null, @event: null,
            [DataField, after.ToMessage().ToByteArray(), ChairVersionField, after.ChairVersion]) is WriteOutcome.Written;
    }

    /// <summary>Marks the challenge overdue at a position, if it is still at <paramref name="readVersion"/>.</summary>
    public async Task<bool> MarkOverdueAsync(string id, long readVersion, string marker) =>
        await WriteAsync(id, readVersion, [], request: null, result: null, @event: null, [OverdueField, marker]) is WriteOutcome.Written;

    public async Task<AppliedRequest?> GetAppliedRequestAsync(string challengeId, RequestFingerprint request)
    {
        return Applied(await redis.GetDatabase().StringGetAsync(RequestKey(challengeId, request)));
    }

    public async Task<ChallengeAggregate?> GetAsync(string id)
    {
        var values = await redis.GetDatabase().HashGetAsync(ChallengeKey(id), [DataField, OverdueField, ChairVersionField]);
        return Read(values);
    }

    /// <summary>
    /// Ids from the partitions' indexes of one list, newest first, strictly older than <paramref name="before"/>
    /// when given: the newest <paramref name="take"/> of each partition in one batch, merged. Ids are unique
    /// and each partition gives its newest, so the merge is exactly the first <paramref name="take"/> of the
    /// whole list, in the order one index gave before the partitions.
    /// </summary>
    public async Task<IReadOnlyList<string>> PageIdsAsync(IReadOnlyList<RedisKey> indexes, string? before, int take)
    {
        var batch = redis.GetDatabase().CreateBatch();
        var reads = indexes.Select(index => batch.SortedSetRangeByValueAsync(index,
            min: default, max: before is null ? default : (RedisValue)before,
            exclude: Exclude.Stop, order: Order.Descending, skip: 0, take: take)).ToArray();
        batch.Execute();
        var ids = new List<string>();
        foreach (var read in reads)
            ids.AddRange((await read).Select(v => v.ToString()));
        ids.Sort(static (a, b) => string.CompareOrdinal(b, a));
        return ids.Count > take ? ids.GetRange(0, take) : ids;
    }

    /// <summary>The challenges with these ids, in the same order; null where one is not stored.</summary>
    public async Task<IReadOnlyList<ChallengeAggregate?>> GetManyAsync(IReadOnlyList<string> ids)
    {
        if (ids.Count == 0)
            return [];
        var batch = redis.GetDatabase().CreateBatch();
        var reads = ids.Select(id => batch.HashGetAsync(ChallengeKey(id), [DataField, OverdueField, ChairVersionField])).ToArray();
        batch.Execute();
        return (await Task.WhenAll(reads)).Select(Read).ToArray();
    }

    private static ChallengeAggregate? Read(RedisValue[] values) =>
        values[0].IsNull ? null : new ChallengeAggregate(Parser.ParseFrom((byte[])values[0]!),
            values[1].IsNull ? "" : values[1].ToString(), values[2].IsNull ? 0 : (long)values[2]);

    private static AppliedRequest? Applied(RedisValue record)
    {
        if (record.IsNull || (byte[])record! is not { Length: > RequestHashLength } bytes)
            return null;
        return new AppliedRequest(Convert.ToHexStringLower(bytes.AsSpan(0, RequestHashLength)),
            Parser.ParseFrom(StoredResult.Decompress(bytes[RequestHashLength..])));
    }

    private static byte[] RequestRecord(RequestFingerprint request, byte[] result) =>
        [.. Convert.FromHexString(request.RequestHash), .. StoredResult.Compress(result)];

    private static RedisValue[] ChallengeFields(byte[] stored, long version) => [DataField, stored, VersionField, version];

    /// <summary>
    /// Runs <see cref="ChallengeWriteScript"/>: the challenge must not exist (<paramref name="expectedVersion"/> null)
    /// or still be at that version, and the request id must be new; then every write happens, or none.
    /// </summary>
    private async Task<WriteOutcome> WriteAsync(string id, long? expectedVersion, IEnumerable<RedisKey> indexes,
        RequestFingerprint? request, byte[]? result, EventEnvelope? @event, RedisValue[] fields)
    {
        RedisKey[] keys =
        [
            ChallengeKey(id),
            .. request is null || result is null ? Array.Empty<RedisKey>() : [RequestKey(id, request)],
            .. @event is null ? Array.Empty<RedisKey>() : [outbox.StreamKeyOf(id)],
            .. indexes,
        ];
        RedisValue[] values =
        [
            expectedVersion is { } version ? version : "",
            id,
            request is null || result is null ? RedisValue.EmptyString : RequestRecord(request, result),
            _requestRetentionMs,
            @event is null ? RedisValue.EmptyString : @event.ToCloudEventJson(),
            RedisOutbox.EnvelopeField,
            .. fields,
        ];
        var reply = await redis.GetDatabase().ScriptEvaluateAsync(ChallengeWriteScript.Source, keys, values);
        if (reply.Resp2Type == ResultType.Array)
            return Applied(((RedisValue[])reply!)[0]) is { } applied ? new WriteOutcome.AlreadyApplied(applied) : new WriteOutcome.Conflict();
        if ((long)reply != ChallengeWriteScript.Written)
            return new WriteOutcome.Conflict();
        // The one place a change is known to be committed, with its outbox entry when it has an event:
        // wake the relay, which otherwise finds the entry only at its next sweep.
        if (@event is not null)
            outbox.NotifyWritten(id);
        return new WriteOutcome.Written();
    }
}
