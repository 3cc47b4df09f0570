using System.Globalization;
using Disputes.ServiceDefaults.Grpc;
using Disputes.V1;
using Google.Protobuf.WellKnownTypes;

namespace Disputes.Challenge.Domain;

/// <summary>What each command's request must say, every problem reported at once as INVALID_ARGUMENT.</summary>
public static class CommandRules
{
    public static void Validate(AcknowledgeChallengeRequest request) =>
        Common(request.Etag, request.RequestId)
            .Optional("note", request.Note, ChallengeLimits.NarrativeLength)
            .ThrowIfAny();

    public static void Validate(RecordDiscussionRequest request)
    {
        var violations = Common(request.Etag, request.RequestId);
        var discussion = request.Discussion;
        if (discussion is null)
        {
            violations.Add("discussion", "is required").ThrowIfAny();
            return;
        }
        if (discussion.Mode == DiscussionMode.Unspecified || !System.Enum.IsDefined(discussion.Mode))
            violations.Add("discussion.mode", "must say how the discussion took place");
        Time(violations, "discussion.held_time", discussion.HeldTime);
        violations.Required("discussion.summary", discussion.Summary, ChallengeLimits.NarrativeLength);
        if (discussion.Attendees.Count > ChallengeLimits.Attendees)
            violations.Add("discussion.attendees", $"must list at most {ChallengeLimits.Attendees} attendees");
        else
            for (var i = 0; i < discussion.Attendees.Count; i++)
                Party(violations, $"discussion.attendees[{i}]", discussion.Attendees[i]);
        Actions(violations, "discussion.agreed_actions", discussion.AgreedActions);
        violations.ThrowIfAny();
    }

    public static void Validate(ReviewChallengeRequest request)
    {
        var violations = Common(request.Etag, request.RequestId);
        if (request.Justified)
            violations.Optional("reasons", request.Reasons, ChallengeLimits.NarrativeLength);
        else
            violations.Required("reasons", request.Reasons, ChallengeLimits.NarrativeLength);
        violations.ThrowIfAny();
    }

    public static void Validate(EscalateChallengeRequest request)
    {
        var violations = Common(request.Etag, request.RequestId)
            .Optional("reason", request.Reason, ChallengeLimits.NarrativeLength);
        if (!System.Enum.IsDefined(request.TargetStage))
            violations.Add("target_stage", "must be a stage of the procedure");
        violations.ThrowIfAny();
    }

    public static void Validate(ResolveChallengeRequest request)
    {
        var violations = Common(request.Etag, request.RequestId);
        var resolution = request.Resolution;
        if (resolution is null)
        {
            violations.Add("resolution", "is required").ThrowIfAny();
            return;
        }
        if (resolution.Kind == ResolutionKind.Unspecified || !System.Enum.IsDefined(resolution.Kind))
            violations.Add("resolution.kind", "must say how the challenge was resolved");
        violations.Required("resolution.summary", resolution.Summary, ChallengeLimits.NarrativeLength);
        if (resolution.PlanOfAction is { } plan)
        {
            violations.Optional("resolution.plan_of_action.summary", plan.Summary, ChallengeLimits.NarrativeLength);
            Actions(violations, "resolution.plan_of_action.actions", plan.Actions);
        }
        violations.ThrowIfAny();
    }

    public static void Validate(WithdrawChallengeRequest request) =>
        Common(request.Etag, request.RequestId)
            .Required("reason", request.Reason, ChallengeLimits.NarrativeLength)
            .ThrowIfAny();

    // 0001-01-01 to 9999-12-31, as google.protobuf.Timestamp allows.
    private const long MinSeconds = -62_135_596_800;
    private const long MaxSeconds = 253_402_300_799;

    internal static void Time(FieldViolations violations, string field, Timestamp? time)
    {
        if (time is not null && (time.Seconds < MinSeconds || time.Seconds > MaxSeconds || time.Nanos is < 0 or > 999_999_999))
            violations.Add(field, "must be a valid timestamp");
    }

    private static FieldViolations Common(string etag, string requestId) =>
        new FieldViolations()
            .Optional("etag", etag, ChallengeLimits.EtagLength)
            .Optional("request_id", requestId, ChallengeLimits.IdLength);

    private static void Party(FieldViolations violations, string field, Party party)
    {
        violations.Optional($"{field}.agency_id", party.AgencyId, ChallengeLimits.IdLength);
        violations.Optional($"{field}.professional_id", party.ProfessionalId, ChallengeLimits.IdLength);
        violations.Optional($"{field}.role", party.Role, ChallengeLimits.IdLength);
    }

    private static void Actions(FieldViolations violations, string field, IReadOnlyList<AgreedAction> actions)
    {
        if (actions.Count > ChallengeLimits.AgreedActions)
        {
            violations.Add(field, $"must list at most {ChallengeLimits.AgreedActions} actions");
            return;
        }
        for (var i = 0; i < actions.Count; i++)
        {
            violations.Required($"{field}[{i}].description", actions[i].Description, ChallengeLimits.ActionLength);
            violations.Optional($"{field}[{i}].owner_agency_id", actions[i].OwnerAgencyId, ChallengeLimits.IdLength);
            if (actions[i].DueDate.Length > 0
                && !DateOnly.TryParseExact(actions[i].DueDate, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out _))
                violations.Add($"{field}[{i}].due_date", "must be a date as yyyy-mm-dd");
        }
    }
}
