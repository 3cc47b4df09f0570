using Disputes.Procedure;
using Disputes.ServiceDefaults.Identity;
using Disputes.V1;
using Google.Protobuf.WellKnownTypes;
using StackExchange.Redis;

namespace Disputes.Records.Storage;

/// <summary>
/// Who read which record, when: a log of its own (never entries of the dispute's record), one
/// stream for the partnership and one per dispute. A read is answered only once it is logged in both.
/// </summary>
/// <remarks>
/// The dispute's stream is in the dispute's slot; the partnership's stream belongs to no dispute and
/// stays one stream (its entry ids are its page tokens and the entries' names, so they must come
/// from one stream), written in the same pipeline, not the same transaction: a failure of either
/// fails the read, and at worst leaves one stream with a read that was refused.
/// </remarks>
public sealed class AccessAuditLog(IConnectionMultiplexer redis, TimeProvider timeProvider)
{
    private static readonly RedisKey AllKey = $"{RecordStore.Prefix}audit";

    private static RedisKey DisputeKey(string challengeId) => RecordStore.DisputeKey("audit", challengeId);

    public async Task RecordAsync(Caller caller, string method, string challengeId, string resource, DisputeView view, string traceId)
    {
        NameValueEntry[] fields =
        [
            new("time", timeProvider.GetUtcNow().ToUnixTimeMilliseconds()),
            new("professional", caller.ProfessionalId),
            new("agency", caller.AgencyId),
            new("roles", string.Join(' ', caller.Roles.Order(StringComparer.Ordinal))),
            new("method", method),
            new("resource", resource),
            new("view", view == DisputeView.Full ? "full" : "support"),
            new("trace", traceId),
        ];
        var batch = redis.GetDatabase().CreateBatch();
        var dispute = batch.StreamAddAsync(DisputeKey(challengeId), fields);
        var all = batch.StreamAddAsync(AllKey, fields);
        batch.Execute();
        if ((await dispute).IsNull || (await all).IsNull)
            throw new RedisException("The access audit was not written.");
    }

    /// <summary>Newest first, from before <paramref name="before"/> (a stream id) when given.</summary>
    public async Task<IReadOnlyList<AccessAuditEntry>> ListAsync(string? challengeId, string? before, int take)
    {
        var key = challengeId is null ? AllKey : DisputeKey(challengeId);
        var entries = await redis.GetDatabase().StreamRangeAsync(key, "-", before is null ? "+" : "(" + before, take, Order.Descending);
        return entries.Select(ToEntry).ToArray();
    }

    private static AccessAuditEntry ToEntry(StreamEntry entry)
    {
        string Field(string name) => entry[name].ToString();
        var entryFields = new AccessAuditEntry
        {
            Name = $"accessAudit/{entry.Id}",
            Reader = new Party { ProfessionalId = Field("professional"), AgencyId = Field("agency") },
            Method = Field("method"),
            Resource = Field("resource"),
            View = Field("view"),
            TraceId = Field("trace"),
        };
        if (long.TryParse(Field("time"), out var millis))
            entryFields.ReadTime = Timestamp.FromDateTimeOffset(DateTimeOffset.FromUnixTimeMilliseconds(millis));
        entryFields.Roles.AddRange(Field("roles").Split(' ', StringSplitOptions.RemoveEmptyEntries));
        return entryFields;
    }
}
