namespace Disputes.Records.Domain;

/// <summary>
/// How long a closed record keeps its narrative: years after the challenge closed, per agency,
/// the longer of the two party agencies' rules applying. Open records are never purged.
/// </summary>
public sealed class RetentionRules(int defaultYears, IReadOnlyDictionary<string, int> yearsByAgency)
{
    public int YearsFor(string agencyId) => yearsByAgency.TryGetValue(agencyId, out var years) ? years : defaultYears;

    /// <summary>When the record's narrative may be purged, or null while the challenge is open.</summary>
    public DateTimeOffset? ExpiresAt(DisputeRecord record) =>
        record.IsClosed && record.ClosedTime is { } closed
            ? closed.AddYears(Math.Max(YearsFor(record.RaisingAgencyId), YearsFor(record.ReceivingAgencyId)))
            : null;

    public bool HasExpired(DisputeRecord record, DateTimeOffset now) => ExpiresAt(record) is { } expires && now >= expires;
}
