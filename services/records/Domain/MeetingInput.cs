using System.Globalization;
using Disputes.ServiceDefaults.Grpc;
using Disputes.V1;

namespace Disputes.Records.Domain;

/// <summary>
/// Checks a meeting a caller sends and copies the fields the API defines, one by one: unknown
/// fields and anything not listed here are never stored.
/// </summary>
public static class MeetingInput
{
    public const int MaxMinutes = 20_000;
    public const int MaxText = 4_000;
    public const int MaxId = 200;
    public const int MaxItems = 50;

    public static void Validate(Meeting? meeting, string field, FieldViolations violations)
    {
        if (meeting is null)
        {
            violations.Add(field, "is required");
            return;
        }
        violations.Required($"{field}.minutes", meeting.Minutes, MaxMinutes);
        if (meeting.HeldTime is null)
            violations.Add($"{field}.held_time", "is required");
        if (meeting.Attendees.Count == 0)
            violations.Add($"{field}.attendees", "must name who attended");
        if (meeting.Attendees.Count > 100)
            violations.Add($"{field}.attendees", "must name at most 100 attendees");
        for (var i = 0; i < Math.Min(meeting.Attendees.Count, 100); i++)
            Party(meeting.Attendees[i], $"{field}.attendees[{i}]", violations);
        if (meeting.Chair is not null)
            Party(meeting.Chair, $"{field}.chair", violations, agencyRequired: false);
        Texts(meeting.Recommendations, $"{field}.recommendations", violations);
        Texts(meeting.Decisions, $"{field}.decisions", violations);
        if (meeting.PlanOfAction is { } plan)
        {
            violations.Optional($"{field}.plan_of_action.summary", plan.Summary, 10_000);
            if (plan.Actions.Count > MaxItems)
                violations.Add($"{field}.plan_of_action.actions", $"must hold at most {MaxItems} actions");
            for (var i = 0; i < Math.Min(plan.Actions.Count, MaxItems); i++)
            {
                var action = plan.Actions[i];
                violations.Required($"{field}.plan_of_action.actions[{i}].description", action.Description, MaxText);
                violations.Required($"{field}.plan_of_action.actions[{i}].owner_agency_id", action.OwnerAgencyId, MaxId);
                if (action.DueDate.Length > 0 && !DateOnly.TryParseExact(action.DueDate, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out _))
                    violations.Add($"{field}.plan_of_action.actions[{i}].due_date", "must be a date written yyyy-mm-dd");
            }
        }
    }

    /// <summary>The meeting as stored: the fields the API defines, with the chair given.</summary>
    public static Meeting Copy(Meeting meeting, Party? chair)
    {
        var copy = new Meeting
        {
            Mode = meeting.Mode,
            HeldTime = meeting.HeldTime?.Clone(),
            Minutes = meeting.Minutes,
        };
        copy.Attendees.AddRange(meeting.Attendees.Select(CopyParty));
        if ((chair ?? meeting.Chair) is { } chosen)
            copy.Chair = CopyParty(chosen);
        copy.Recommendations.AddRange(meeting.Recommendations);
        copy.Decisions.AddRange(meeting.Decisions);
        if (meeting.PlanOfAction is { } plan)
        {
            copy.PlanOfAction = new PlanOfAction { Summary = plan.Summary };
            copy.PlanOfAction.Actions.AddRange(plan.Actions.Select(a => new AgreedAction
            {
                Description = a.Description,
                OwnerAgencyId = a.OwnerAgencyId,
                DueDate = a.DueDate,
            }));
        }
        return copy;
    }

    public static Party CopyParty(Party party) =>
        new() { AgencyId = party.AgencyId, ProfessionalId = party.ProfessionalId, Role = party.Role };

    private static void Party(Party party, string field, FieldViolations violations, bool agencyRequired = true)
    {
        if (agencyRequired)
            violations.Required($"{field}.agency_id", party.AgencyId, MaxId);
        else
            violations.Optional($"{field}.agency_id", party.AgencyId, MaxId);
        violations.Optional($"{field}.professional_id", party.ProfessionalId, MaxId);
        violations.Optional($"{field}.role", party.Role, MaxId);
    }

    private static void Texts(IReadOnlyList<string> texts, string field, FieldViolations violations)
    {
        if (texts.Count > MaxItems)
            violations.Add(field, $"must hold at most {MaxItems} items");
        for (var i = 0; i < Math.Min(texts.Count, MaxItems); i++)
            violations.Required($"{field}[{i}]", texts[i], MaxText);
    }
}
