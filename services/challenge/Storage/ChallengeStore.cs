using Disputes.Challenge.Domain;
using Disputes.EventBus;
using Disputes.EventBus.Redis;
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
public sealed class ChallengeStore(IConnectionMultiplexer redis, RedisOutbox outbox, IOptions<ChallengeStoreOptions> options)
{
    private const string Prefix = "challenge:";
    private const string DataField = "data";
    private const string VersionField = "version";
    private const string OverdueField = "overdue";
    private const string ChairVersionField = "chairVersion";
    private const string RequestHashField = "request";
    private const string ResultField = "result";
    private static readonly MessageParser<V1.Challenge> Parser = V1.Challenge.Parser.WithDiscardUnknownFields(true);
    private readonly long _requestRetentionMs = (long)options.Value.RequestIdRetention.TotalMilliseconds;

    public ChallengeStore(IConnectionMultiplexer redis, RedisOutbox outbox) : this(redis, outbox, Options.Create(new ChallengeStoreOptions()))
    {
    }

    /// <summary>All challenges, newest first (ids sort by creation time).</summary>
    public static RedisKey AllIndex => Prefix + "index:all";

    /// <summary>The challenges an agency is involved in: as a party, as the child's local authority, as the chair's agency.</summary>
    public static RedisKey AgencyIndex(string agencyId) => $"{Prefix}index:agency:{agencyId}";

    private static RedisKey ChallengeKey(string id) => $"{Prefix}challenges:{id}";

    private static RedisKey RequestKey(RequestFingerprint request) => $"{Prefix}requests:{request.Key}";

    public Task<WriteOutcome> CreateAsync(ChallengeAggregate challenge, RequestFingerprint? request, EventEnvelope raised)
    {
        var stored = challenge.ToMessage();
        var bytes = stored.ToByteArray();
        var indexes = new[] { challenge.RaisingParty.AgencyId, challenge.ReceivingParty.AgencyId, challenge.Child.LocalAuthorityId }
            .Where(a => a.Length > 0).Distinct().Select(AgencyIndex).Append(AllIndex);
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
        RedisKey[] indexes = after.IndependentChair is { AgencyId.Length: > 0 } chair ? [AgencyIndex(chair.AgencyId)] : [];
        return await WriteAsync(after.Id, readVersion, indexes, request: null, result: null, @event: null,
            [DataField, after.ToMessage().ToByteArray(), ChairVersionField, after.ChairVersion]) is WriteOutcome.Written;
    }

    /// <summary>Marks the challenge overdue at a position, if it is still at <paramref name="readVersion"/>.</summary>
    public async Task<bool> MarkOverdueAsync(string id, long readVersion, string marker) =>
        await WriteAsync(id, readVersion, [], request: null, result: null, @event: null, [OverdueField, marker]) is WriteOutcome.Written;

    public async Task<AppliedRequest?> GetAppliedRequestAsync(RequestFingerprint request)
    {
        var values = await redis.GetDatabase().HashGetAsync(RequestKey(request), [RequestHashField, ResultField]);
        return Applied(values);
    }

    public async Task<ChallengeAggregate?> GetAsync(string id)
    {
        var values = await redis.GetDatabase().HashGetAsync(ChallengeKey(id), [DataField, OverdueField, ChairVersionField]);
        return Read(values);
    }

    /// <summary>Ids from an index, newest first, strictly older than <paramref name="before"/> when given.</summary>
    public async Task<IReadOnlyList<string>> PageIdsAsync(RedisKey index, string? before, int take)
    {
        var ids = await redis.GetDatabase().SortedSetRangeByValueAsync(index,
            min: default, max: before is null ? default : (RedisValue)before,
            exclude: Exclude.Stop, order: Order.Descending, skip: 0, take: take);
        return ids.Select(v => v.ToString()).ToArray();
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

    private static AppliedRequest? Applied(RedisValue[] values) =>
        values[0].IsNull || values[1].IsNull ? null : new AppliedRequest(values[0].ToString(), Parser.ParseFrom((byte[])values[1]!));

    private static RedisValue[] ChallengeFields(byte[] stored, long version) => [DataField, stored, VersionField, version];

    /// <summary>
    /// Runs <see cref="ChallengeWriteScript"/>: the challenge must not exist (<paramref name="expectedVersion"/> null)
    /// or still be at that version, and the request id must be new; then every write happens, or none.
    /// </summary>
    private async Task<WriteOutcome> WriteAsync(string id, long? expectedVersion, IEnumerable<RedisKey> indexes,
        RequestFingerprint? request, byte[]? result, EventEnvelope? @event, RedisValue[] fields)
    {
        RedisKey[] keys = [ChallengeKey(id), request is null ? "" : RequestKey(request), @event is null ? "" : outbox.StreamKey, .. indexes];
        RedisValue[] values =
        [
            expectedVersion is { } version ? version : "",
            id,
            request?.RequestHash ?? "",
            request is null || result is null ? RedisValue.EmptyString : result,
            _requestRetentionMs,
            @event is null ? RedisValue.EmptyString : @event.ToCloudEventJson(),
            RedisOutbox.EnvelopeField,
            .. fields,
        ];
        var reply = await redis.GetDatabase().ScriptEvaluateAsync(ChallengeWriteScript.Source, keys, values);
        if (reply.Resp2Type == ResultType.Array)
            return Applied((RedisValue[])reply!) is { } applied ? new WriteOutcome.AlreadyApplied(applied) : new WriteOutcome.Conflict();
        if ((long)reply != ChallengeWriteScript.Written)
            return new WriteOutcome.Conflict();
        // The one place a change is known to be committed, with its outbox entry when it has an event:
        // wake the relay, which otherwise finds the entry only at its next sweep.
        if (@event is not null)
            outbox.NotifyWritten();
        return new WriteOutcome.Written();
    }
}
