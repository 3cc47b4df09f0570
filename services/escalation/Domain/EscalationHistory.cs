using Disputes.V1;
using Google.Protobuf.WellKnownTypes;

namespace Disputes.Escalation.Domain;

/// <summary>The changes an escalation records, and what its history says.</summary>
public static class EscalationHistory
{
    public const string Raised = "raised";
    public const string Acknowledged = "acknowledged";
    public const string DiscussionRecorded = "discussion_recorded";
    public const string ReviewedJustified = "reviewed_justified";
    public const string ClosedNotJustified = "closed_not_justified";
    public const string Escalated = "escalated";
    public const string Resolved = "resolved";
    public const string Withdrawn = "withdrawn";
    public const string ChairAppointed = "chair_appointed";
    public const string AutoEscalationDueChange = "auto_escalation_due";

    public static bool WasAcknowledged(V1.Escalation escalation) => escalation.History.Any(h => h.Change == Acknowledged);

    /// <summary>The challenge version at which the current stage (or tier) began.</summary>
    public static long StageVersion(V1.Escalation escalation) =>
        escalation.History.LastOrDefault(h => h.Change is Raised or Escalated)?.ChallengeVersion ?? escalation.ChallengeVersion;

    public static Timestamp? StageStart(V1.Escalation escalation) =>
        escalation.History.LastOrDefault(h => h.Change is Raised or Escalated)?.OccurTime;

    public static bool Reminded(V1.Escalation escalation, string timescale, Stage stage, int tier, DateTimeOffset due) =>
        escalation.RemindersSent.Any(r => r.Timescale == timescale && Same(r.Stage, r.ManagementTier, r.DueTime, timescale, stage, tier, due));

    public static bool Breached(V1.Escalation escalation, string timescale, Stage stage, int tier, DateTimeOffset due) =>
        escalation.Breaches.Any(b => b.Timescale == timescale && Same(b.Stage, b.ManagementTier, b.DueTime, timescale, stage, tier, due));

    public static bool AutoEscalationDue(V1.Escalation escalation, Stage stage, int tier) =>
        escalation.History.Any(h => h.Change == AutoEscalationDueChange && h.Stage == stage && h.ManagementTier == tier);

    // The overall timescale spans the stages: matched by due time alone.
    private static bool Same(Stage recordedStage, int recordedTier, Timestamp? recordedDue, string timescale, Stage stage, int tier, DateTimeOffset due) =>
        recordedDue is not null && recordedDue.ToDateTimeOffset() == due
        && (timescale == Timescales.Overall || (recordedStage == stage && recordedTier == tier));
}
