using Disputes.Challenge.Domain;
using Disputes.EventBus;
using Disputes.EventBus.Redis;
using Google.Protobuf;
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
/// its version, the overdue marker). Every change is one transaction, conditional on the
/// version it was decided from, that also writes its event to the outbox and the request id
/// it answers: all of it or none of it.
/// </summary>
public sealed class ChallengeStore(IConnectionMultiplexer redis, RedisOutbox outbox)
{
    private const string Prefix = "challenge:";
    private const string DataField = "data";
    private const string VersionField = "version";
    private const string OverdueField = "overdue";
    private const string ChairVersionField = "chairVersion";
    private const string RequestHashField = "request";
    private const string ResultField = "result";
    private static readonly TimeSpan RequestIdRetention = TimeSpan.FromDays(30);
    private static readonly MessageParser<V1.Challenge> Parser = V1.Challenge.Parser.WithDiscardUnknownFields(true);

    /// <summary>All challenges, newest first (ids sort by creation time).</summary>
    public static RedisKey AllIndex => Prefix + "index:all";

    /// <summary>The challenges an agency is involved in: as a party, as the child's local authority, as the chair's agency.</summary>
    public static RedisKey AgencyIndex(string agencyId) => $"{Prefix}index:agency:{agencyId}";

    private static RedisKey ChallengeKey(string id) => $"{Prefix}challenges:{id}";

    private static RedisKey RequestKey(RequestFingerprint request) => $"{Prefix}requests:{request.Key}";

    public async Task<WriteOutcome> CreateAsync(ChallengeAggregate challenge, RequestFingerprint? request, EventEnvelope raised)
    {
        var transaction = redis.GetDatabase().CreateTransaction();
        // A condition, not SET NX: a failed SET NX inside MULTI would still commit the rest.
        transaction.AddCondition(Condition.KeyNotExists(ChallengeKey(challenge.Id)));
        var stored = challenge.ToMessage();
        Write(transaction, challenge.Id, stored);
        foreach (var agency in new[] { challenge.RaisingParty.AgencyId, challenge.ReceivingParty.AgencyId, challenge.Child.LocalAuthorityId }.Where(a => a.Length > 0).Distinct())
            _ = transaction.SortedSetAddAsync(AgencyIndex(agency), challenge.Id, 0);
        _ = transaction.SortedSetAddAsync(AllIndex, challenge.Id, 0);
        return await CommitAsync(transaction, request, stored, raised);
    }

    /// <summary>Writes the challenge a command produced, if it is still at <paramref name="readVersion"/>.</summary>
    public async Task<WriteOutcome> SaveAsync(long readVersion, ChallengeAggregate after, RequestFingerprint? request, EventEnvelope @event)
    {
        var transaction = redis.GetDatabase().CreateTransaction();
        transaction.AddCondition(Condition.HashEqual(ChallengeKey(after.Id), VersionField, readVersion));
        var stored = after.ToMessage();
        Write(transaction, after.Id, stored);
        return await CommitAsync(transaction, request, stored, @event);
    }

    /// <summary>Records the appointed chair (no event, no version change), if the challenge is still at <paramref name="readVersion"/>.</summary>
    public async Task<bool> SaveChairAsync(long readVersion, ChallengeAggregate after)
    {
        var transaction = redis.GetDatabase().CreateTransaction();
        transaction.AddCondition(Condition.HashEqual(ChallengeKey(after.Id), VersionField, readVersion));
        _ = transaction.HashSetAsync(ChallengeKey(after.Id),
            [new HashEntry(DataField, after.ToMessage().ToByteArray()), new HashEntry(ChairVersionField, after.ChairVersion)]);
        if (after.IndependentChair is { AgencyId.Length: > 0 } chair)
            _ = transaction.SortedSetAddAsync(AgencyIndex(chair.AgencyId), after.Id, 0);
        return await transaction.ExecuteAsync();
    }

    /// <summary>Marks the challenge overdue at a position, if it is still at <paramref name="readVersion"/>.</summary>
    public async Task<bool> MarkOverdueAsync(string id, long readVersion, string marker)
    {
        var transaction = redis.GetDatabase().CreateTransaction();
        transaction.AddCondition(Condition.HashEqual(ChallengeKey(id), VersionField, readVersion));
        _ = transaction.HashSetAsync(ChallengeKey(id), OverdueField, marker);
        return await transaction.ExecuteAsync();
    }

    public async Task<AppliedRequest?> GetAppliedRequestAsync(RequestFingerprint request)
    {
        var values = await redis.GetDatabase().HashGetAsync(RequestKey(request), [RequestHashField, ResultField]);
        return values[0].IsNull || values[1].IsNull ? null : new AppliedRequest(values[0].ToString(), Parser.ParseFrom((byte[])values[1]!));
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

    private static void Write(ITransaction transaction, string id, V1.Challenge stored) =>
        _ = transaction.HashSetAsync(ChallengeKey(id),
        [
            new HashEntry(DataField, stored.ToByteArray()),
            new HashEntry(VersionField, stored.Version),
        ]);

    private async Task<WriteOutcome> CommitAsync(ITransaction transaction, RequestFingerprint? request, V1.Challenge result, EventEnvelope @event)
    {
        if (request is not null)
        {
            var key = RequestKey(request);
            transaction.AddCondition(Condition.KeyNotExists(key));
            _ = transaction.HashSetAsync(key, [new HashEntry(RequestHashField, request.RequestHash), new HashEntry(ResultField, result.ToByteArray())]);
            _ = transaction.KeyExpireAsync(key, RequestIdRetention);
        }
        outbox.Add(transaction, @event);
        if (await transaction.ExecuteAsync())
            return new WriteOutcome.Written();
        return request is not null && await GetAppliedRequestAsync(request) is { } applied
            ? new WriteOutcome.AlreadyApplied(applied)
            : new WriteOutcome.Conflict();
    }
}
