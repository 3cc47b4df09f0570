using Disputes.V1;

namespace Disputes.Escalation.Domain;

/// <summary>
/// Timescale policies in working days. The default follows published partnership
/// policies: acknowledge within 1 working day, each of stages 1 to 3 within 5, a stage 4
/// meeting within 10, and at most 20 in all under the IRO dispute process.
/// </summary>
public static class TimescalePolicies
{
    public static TimescalePolicy Default { get; } = new()
    {
        Name = "timescalePolicies/default",
        Version = 1,
        AcknowledgementWorkingDays = 1,
        ProfessionalDiscussionWorkingDays = 5,
        LineManagersWorkingDays = 5,
        SeniorManagersWorkingDays = 5,
        PartnershipMeetingWorkingDays = 10,
        IroTotalWorkingDays = 20,
        AutoEscalate = false,
    };

    /// <summary>How the policy version is named on an escalation: "timescalePolicies/{policy}@{version}".</summary>
    public static string VersionName(TimescalePolicy policy) => $"{policy.Name}@{policy.Version}";

    public static int WorkingDaysFor(TimescalePolicy policy, Stage stage) => stage switch
    {
        Stage.ProfessionalDiscussion => policy.ProfessionalDiscussionWorkingDays,
        Stage.LineManagers => policy.LineManagersWorkingDays,
        Stage.SeniorManagers => policy.SeniorManagersWorkingDays,
        Stage.SafeguardingPartnership => policy.PartnershipMeetingWorkingDays,
        _ => throw new ArgumentOutOfRangeException(nameof(stage), stage, "not a stage"),
    };
}
