using Disputes.Procedure;
using Disputes.WorkingDays;
using System.Globalization;
using Disputes.ServiceDefaults.Grpc;
using Disputes.ServiceDefaults.Identity;
using Disputes.V1;
using NodaTime;

namespace Disputes.Records.Domain;

/// <summary>
/// The partnership's learning at stage 4, tracked to completion: who makes a recommendation,
/// who moves it on, and when it is overdue. None of the published procedures tracks this.
/// </summary>
public static class RecommendationRules
{
    /// <summary>The multi-agency procedures group, an owner beside the agencies.</summary>
    public const string ProceduresGroup = "procedures-group";

    public static void Validate(Recommendation? recommendation, FieldViolations violations)
    {
        if (recommendation is null)
        {
            violations.Add("recommendation", "is required");
            return;
        }
        violations.Required("recommendation.text", recommendation.Text, MeetingInput.MaxText);
        violations.Required("recommendation.owner_agency_id", recommendation.OwnerAgencyId, MeetingInput.MaxId);
        if (!DateOnly.TryParseExact(recommendation.DueDate, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out _))
            violations.Add("recommendation.due_date", "must be a date written yyyy-mm-dd");
        violations.Optional("recommendation.minutes_entry", recommendation.MinutesEntry, 200);
    }

    /// <summary>The partnership, or the appointed chair, once the dispute has reached stage 4.</summary>
    public static bool MayCreate(Caller caller, DisputeRecord record) =>
        record.HighestStage >= Stage.SafeguardingPartnership
        && (caller.HasRole(DisputeRoles.Partnership)
            || MinutesRules.IsAppointedChair(caller, record));

    /// <summary>The owner agency moves it on; the partnership speaks for the procedures group and may update any.</summary>
    public static bool MayUpdate(Caller caller, Recommendation recommendation) =>
        caller.HasRole(DisputeRoles.Partnership)
        || (caller.AgencyId == recommendation.OwnerAgencyId && !caller.HasRole(DisputeRoles.Support));

    public static bool IsSettled(RecommendationStatus status) =>
        status is RecommendationStatus.Completed or RecommendationStatus.NotAccepted;

    public static bool IsOverdue(Recommendation recommendation, Instant now) =>
        !IsSettled(recommendation.Status)
        && DateOnly.TryParseExact(recommendation.DueDate, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var due)
        && now.InZone(WorkingDayCalendar.EnglandAndWales.Zone).Date > LocalDate.FromDateOnly(due);
}
