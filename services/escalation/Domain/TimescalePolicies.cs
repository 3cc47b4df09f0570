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
        ReminderWorkingDays = 1,
        CreateTime = Google.Protobuf.WellKnownTypes.Timestamp.FromDateTimeOffset(DateTimeOffset.UnixEpoch),
    };

    public const string Collection = "timescalePolicies";

    /// <summary>The most working days any timescale may be set to (a year of working days).</summary>
    public const int MaxWorkingDays = 250;

    /// <summary>Policy ids: lower-case letters, digits and hyphens.</summary>
    public static bool IsPolicyId(string? id) =>
        id is { Length: > 0 and <= 63 } && char.IsAsciiLetterLower(id[0]) && id.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c == '-');

    public static bool TryParseName(string? name, out string policyId)
    {
        policyId = "";
        var parts = name?.Split('/');
        if (parts is not [Collection, var id] || !IsPolicyId(id))
            return false;
        policyId = id;
        return true;
    }

    /// <summary>Parses "timescalePolicies/{policy}@{version}" as an escalation names its policy.</summary>
    public static bool TryParseVersionName(string? versionName, out string policyId, out int version)
    {
        version = 0;
        policyId = "";
        var at = versionName?.LastIndexOf('@') ?? -1;
        return at > 0 && TryParseName(versionName![..at], out policyId) && int.TryParse(versionName[(at + 1)..], out version) && version > 0;
    }

    /// <summary>Every problem with a policy version asked for, as (field, description).</summary>
    public static IEnumerable<(string Field, string Description)> Validate(TimescalePolicy policy)
    {
        if (!TryParseName(policy.Name, out _))
            yield return ("policy.name", $"must be \"{Collection}/{{policy}}\" with a lower-case id of letters, digits and hyphens");
        foreach (var (field, value, min) in new[]
        {
            ("policy.acknowledgement_working_days", policy.AcknowledgementWorkingDays, 0),
            ("policy.professional_discussion_working_days", policy.ProfessionalDiscussionWorkingDays, 1),
            ("policy.line_managers_working_days", policy.LineManagersWorkingDays, 1),
            ("policy.senior_managers_working_days", policy.SeniorManagersWorkingDays, 1),
            ("policy.partnership_meeting_working_days", policy.PartnershipMeetingWorkingDays, 1),
            ("policy.iro_total_working_days", policy.IroTotalWorkingDays, 0),
            ("policy.reminder_working_days", policy.ReminderWorkingDays, 0),
            ("policy.auto_escalate_after_working_days", policy.AutoEscalateAfterWorkingDays, 0),
        })
        {
            if (value < min || value > MaxWorkingDays)
                yield return (field, $"must be between {min} and {MaxWorkingDays} working days");
        }
        if (!policy.AutoEscalate && policy.AutoEscalateAfterWorkingDays > 0)
            yield return ("policy.auto_escalate_after_working_days", "applies only with auto_escalate");
    }

    /// <summary>An allowlist copy of the version asked for, numbered and stamped by the service.</summary>
    public static TimescalePolicy NewVersion(TimescalePolicy asked, int version, DateTimeOffset now) => new()
    {
        Name = asked.Name,
        Version = version,
        AcknowledgementWorkingDays = asked.AcknowledgementWorkingDays,
        ProfessionalDiscussionWorkingDays = asked.ProfessionalDiscussionWorkingDays,
        LineManagersWorkingDays = asked.LineManagersWorkingDays,
        SeniorManagersWorkingDays = asked.SeniorManagersWorkingDays,
        PartnershipMeetingWorkingDays = asked.PartnershipMeetingWorkingDays,
        IroTotalWorkingDays = asked.IroTotalWorkingDays,
        AutoEscalate = asked.AutoEscalate,
        ReminderWorkingDays = asked.ReminderWorkingDays,
        AutoEscalateAfterWorkingDays = asked.AutoEscalateAfterWorkingDays,
        CreateTime = Google.Protobuf.WellKnownTypes.Timestamp.FromDateTimeOffset(now),
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
