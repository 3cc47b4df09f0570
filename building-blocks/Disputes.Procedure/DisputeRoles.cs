namespace Disputes.Procedure;

/// <summary>Roles a token may carry.</summary>
public static class DisputeRoles
{
    public const string Practitioner = "practitioner";
    public const string LineManager = "line_manager";
    /// <summary>An agency's safeguarding lead: reviews and escalates at stage 2 as a line manager does.</summary>
    public const string SafeguardingLead = "safeguarding_lead";
    public const string SeniorManager = "senior_manager";
    /// <summary>The Safeguarding Children Partnership: reads every challenge and the escalation log.</summary>
    public const string Partnership = "partnership";
    /// <summary>Independent Reviewing Officer: reads the challenges of the children they review.</summary>
    public const string IndependentReviewingOfficer = "iro";
    public const string IndependentChair = "independent_chair";
    /// <summary>Support engineers: ids, stages, times and trace ids, never the narrative.</summary>
    public const string Support = "support";

    /// <summary>
    /// The records service itself, asking escalation for its record's witness (GetRecordWitness).
    /// A service identity, not a professional's: it gives access to no dispute. Not in <see cref="All"/>.
    /// </summary>
    public const string RecordsService = "records_service";

    public static IReadOnlyList<string> All { get; } =
        [Practitioner, LineManager, SafeguardingLead, SeniorManager, Partnership, IndependentReviewingOfficer, IndependentChair, Support];
}
