using Disputes.Escalation.Domain;
using Disputes.V1;
using Google.Protobuf;
using StackExchange.Redis;

namespace Disputes.Escalation.Storage;

/// <summary>
/// The partnership directory under <c>escalation:{directory}:</c>: one key per agency and per
/// professional, and lexicographic indexes for paging. Entries are replaced only if unchanged
/// since read (optimistic concurrency), and never deleted. The directory belongs to no dispute: its
/// keys share one fixed hash tag of their own, so a write of an entry with its indexes, and a read
/// of many entries, stays in one slot on a Redis Cluster; no dispute's transaction touches them.
/// Every write also gives the directory a new version (a random token, so that no reset of the
/// key can bring back one already seen), so routing reads the whole directory again only after
/// it changed, whichever replica changed it.
/// </summary>
// Compare-and-set through a transaction (WATCH): ValueCondition needs Redis 8.4, newer than the servers we run on.
#pragma warning disable SER301
public sealed class DirectoryStore(IConnectionMultiplexer redis)
{
    private const string Prefix = "escalation:{directory}:";
    private const int ChunkSize = 500;

    private static RedisKey AgencyIndex => Prefix + "index:agencies";

    private static RedisKey VersionKey => Prefix + "version";

    /// <summary>The last whole directory read, with the version it was read at.</summary>
    private volatile VersionedDirectory? _snapshot;

    private sealed record VersionedDirectory(string Version, PartnershipDirectory Directory);

    private static string NewVersion() => Guid.NewGuid().ToString("N");

    private static RedisKey ProfessionalIndex => Prefix + "index:professionals";

    private static RedisKey AgencyProfessionalsIndex(string agencyId) => $"{Prefix}index:agencies:{agencyId}:professionals";

    private static RedisKey AgencyKey(string agencyId) => $"{Prefix}agencies:{agencyId}";

    private static RedisKey ProfessionalKey(string agencyId, string professionalId) => $"{Prefix}professionals:{agencyId}/{professionalId}";

    public async Task<bool> CreateAgencyAsync(string agencyId, Agency agency)
    {
        var transaction = redis.GetDatabase().CreateTransaction();
        transaction.AddCondition(Condition.KeyNotExists(AgencyKey(agencyId)));
        _ = transaction.StringSetAsync(AgencyKey(agencyId), agency.ToByteArray());
        _ = transaction.SortedSetAddAsync(AgencyIndex, agencyId, 0);
        _ = transaction.StringSetAsync(VersionKey, NewVersion());
        return await transaction.ExecuteAsync();
    }

    public async Task<(Agency Agency, byte[] Stored)?> GetAgencyAsync(string agencyId)
    {
        var value = await redis.GetDatabase().StringGetAsync(AgencyKey(agencyId));
        return value.IsNull ? null : (Agency.Parser.ParseFrom((byte[])value!), (byte[])value!);
    }

    /// <summary>Replaces the agency if it is still <paramref name="stored"/>; false when it changed meanwhile.</summary>
    public async Task<bool> ReplaceAgencyAsync(string agencyId, byte[] stored, Agency agency)
    {
        var transaction = redis.GetDatabase().CreateTransaction();
        transaction.AddCondition(Condition.StringEqual(AgencyKey(agencyId), stored));
        _ = transaction.StringSetAsync(AgencyKey(agencyId), agency.ToByteArray());
        _ = transaction.StringSetAsync(VersionKey, NewVersion());
        return await transaction.ExecuteAsync();
    }

    public async Task<IReadOnlyList<Agency>> ListAgenciesAsync(string? after, int take)
    {
        var ids = await PageAsync(AgencyIndex, after, take);
        var values = ids.Length == 0 ? [] : await redis.GetDatabase().StringGetAsync(ids.Select(AgencyKey).ToArray());
        return values.Where(v => !v.IsNull).Select(v => Agency.Parser.ParseFrom((byte[])v!)).ToArray();
    }

    public async Task<bool> CreateProfessionalAsync(string agencyId, string professionalId, Professional professional)
    {
        var transaction = redis.GetDatabase().CreateTransaction();
        transaction.AddCondition(Condition.KeyNotExists(ProfessionalKey(agencyId, professionalId)));
        _ = transaction.StringSetAsync(ProfessionalKey(agencyId, professionalId), professional.ToByteArray());
        _ = transaction.SortedSetAddAsync(ProfessionalIndex, $"{agencyId}/{professionalId}", 0);
        _ = transaction.SortedSetAddAsync(AgencyProfessionalsIndex(agencyId), professionalId, 0);
        _ = transaction.StringSetAsync(VersionKey, NewVersion());
        return await transaction.ExecuteAsync();
    }

    public async Task<(Professional Professional, byte[] Stored)?> GetProfessionalAsync(string agencyId, string professionalId)
    {
        var value = await redis.GetDatabase().StringGetAsync(ProfessionalKey(agencyId, professionalId));
        return value.IsNull ? null : (Professional.Parser.ParseFrom((byte[])value!), (byte[])value!);
    }

    public async Task<bool> ReplaceProfessionalAsync(string agencyId, string professionalId, byte[] stored, Professional professional)
    {
        var transaction = redis.GetDatabase().CreateTransaction();
        transaction.AddCondition(Condition.StringEqual(ProfessionalKey(agencyId, professionalId), stored));
        _ = transaction.StringSetAsync(ProfessionalKey(agencyId, professionalId), professional.ToByteArray());
        _ = transaction.StringSetAsync(VersionKey, NewVersion());
        return await transaction.ExecuteAsync();
    }

    public async Task<IReadOnlyList<Professional>> ListProfessionalsAsync(string agencyId, string? after, int take)
    {
        var ids = await PageAsync(AgencyProfessionalsIndex(agencyId), after, take);
        var values = ids.Length == 0 ? [] : await redis.GetDatabase().StringGetAsync(ids.Select(id => ProfessionalKey(agencyId, id)).ToArray());
        return values.Where(v => !v.IsNull).Select(v => Professional.Parser.ParseFrom((byte[])v!)).ToArray();
    }

    /// <summary>
    /// The whole directory, for routing (a partnership's directory is hundreds or thousands of people):
    /// read again only when its version changed since the last read, else one GET. A write between the
    /// version's read and the entries' is read with the older version, so the next call reads again.
    /// </summary>
    public async Task<PartnershipDirectory> SnapshotAsync()
    {
        var db = redis.GetDatabase();
        var version = (string?)await db.StringGetAsync(VersionKey) ?? "";
        if (_snapshot is { } cached && cached.Version == version)
            return cached.Directory;
        var agencyIds = await db.SortedSetRangeByRankAsync(AgencyIndex);
        var agencies = new List<Agency>(agencyIds.Length);
        foreach (var chunk in agencyIds.Chunk(ChunkSize))
            agencies.AddRange((await db.StringGetAsync(chunk.Select(id => AgencyKey(id.ToString())).ToArray()))
                .Where(v => !v.IsNull).Select(v => Agency.Parser.ParseFrom((byte[])v!)));
        var professionalNames = await db.SortedSetRangeByRankAsync(ProfessionalIndex);
        var professionals = new List<Professional>(professionalNames.Length);
        foreach (var chunk in professionalNames.Chunk(ChunkSize))
            professionals.AddRange((await db.StringGetAsync(chunk.Select(n => (RedisKey)$"{Prefix}professionals:{n}").ToArray()))
                .Where(v => !v.IsNull).Select(v => Professional.Parser.ParseFrom((byte[])v!)));
        var directory = new PartnershipDirectory(agencies, professionals);
        _snapshot = new VersionedDirectory(version, directory);
        return directory;
    }

    private async Task<string[]> PageAsync(RedisKey index, string? after, int take) =>
        (await LexPages.RangeAsync(redis.GetDatabase(), index, after, null, take)).ToArray();
}
