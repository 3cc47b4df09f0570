namespace Disputes.Records.Witness;

/// <summary>
/// <c>Records:Witness</c>: where the witness of record heads (the escalation service) answers, and
/// how records proves who it is there.
/// </summary>
public sealed class RecordWitnessOptions
{
    public const string SectionName = "Records:Witness";

    /// <summary>The escalation service's gRPC address; empty: no witness, VerifyRecord says UNAVAILABLE.</summary>
    public string Address { get; set; } = "";

    /// <summary>
    /// A file holding the bearer token the identity provider issued to the records service (role
    /// <c>records_service</c>), kept fresh by the platform. Without it, records mints its own token with
    /// the development signing key (Development only).
    /// </summary>
    public string? TokenFile { get; set; }

    /// <summary>How long VerifyRecord waits for the witness before it reports it unavailable.</summary>
    public TimeSpan Deadline { get; set; } = TimeSpan.FromSeconds(2);
}
