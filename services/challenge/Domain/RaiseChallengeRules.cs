using Disputes.ServiceDefaults.Grpc;
using Disputes.ServiceDefaults.Identity;
using Disputes.V1;
using Google.Protobuf.WellKnownTypes;

namespace Disputes.Challenge.Domain;

/// <summary>What a raised challenge must say, in the procedure's terms.</summary>
public static class RaiseChallengeRules
{
    public const int MaxNarrativeLength = ChallengeLimits.NarrativeLength;
    public const int MaxIdLength = ChallengeLimits.IdLength;

    /// <summary>
    /// The raiser is the caller: a raising party naming another agency or professional is
    /// refused, and missing ones are filled from the token.
    /// </summary>
    public static void EnsureRaiserIsCaller(Party? raising, Caller caller)
    {
        if (raising is null)
            return;
        if (raising.AgencyId.Length > 0 && raising.AgencyId != caller.AgencyId)
            throw RpcErrors.PermissionDenied("A challenge is raised by the caller's own agency: challenge.raising_party.agency_id must be the token's agency.");
        if (raising.ProfessionalId.Length > 0 && raising.ProfessionalId != caller.ProfessionalId)
            throw RpcErrors.PermissionDenied("A challenge is raised by the caller: challenge.raising_party.professional_id must be the token's subject.");
    }

    public static void Validate(RaiseChallengeRequest request)
    {
        var violations = new FieldViolations();
        violations.Optional("request_id", request.RequestId, MaxIdLength);
        var challenge = request.Challenge;
        if (challenge is null)
        {
            violations.Add("challenge", "is required");
            violations.ThrowIfAny();
            return;
        }

        violations.Required("challenge.raising_party.role", challenge.RaisingParty?.Role, MaxIdLength);
        violations.Required("challenge.receiving_party.agency_id", challenge.ReceivingParty?.AgencyId, MaxIdLength);
        violations.Optional("challenge.receiving_party.professional_id", challenge.ReceivingParty?.ProfessionalId, MaxIdLength);
        violations.Optional("challenge.receiving_party.role", challenge.ReceivingParty?.Role, MaxIdLength);
        violations.Required("challenge.child.reference", challenge.Child?.Reference, MaxIdLength);
        if (challenge.Child is { } child)
        {
            if (child.OnChildProtectionPlan || child.LookedAfter)
                violations.Required("challenge.child.local_authority_id", child.LocalAuthorityId, MaxIdLength);
            else
                violations.Optional("challenge.child.local_authority_id", child.LocalAuthorityId, MaxIdLength);
            violations.Optional("challenge.child.iro_professional_id", child.IroProfessionalId, MaxIdLength);
        }

        if (challenge.Category == Category.Unspecified || !System.Enum.IsDefined(challenge.Category))
            violations.Add("challenge.category", "must be one of the procedure's categories, or CATEGORY_OTHER");
        if (challenge.Category == Category.Other)
            violations.Required("challenge.category_detail", challenge.CategoryDetail, ChallengeLimits.CategoryDetailLength);

        violations.Required("challenge.subject", challenge.Subject, MaxNarrativeLength);
        violations.Required("challenge.unsafe_practice_reason", challenge.UnsafePracticeReason, MaxNarrativeLength);
        violations.Required("challenge.desired_change", challenge.DesiredChange, MaxNarrativeLength);
        violations.Required("challenge.impact_on_child", challenge.ImpactOnChild, MaxNarrativeLength);

        if (challenge.RaisedInMeeting is { } meeting)
        {
            if (meeting.Kind == ProfessionalMeetingKind.Unspecified || !System.Enum.IsDefined(meeting.Kind))
                violations.Add("challenge.raised_in_meeting.kind", "must name the kind of meeting");
            violations.Required("challenge.raised_in_meeting.reference", meeting.Reference, MaxIdLength);
            CommandRules.Time(violations, "challenge.raised_in_meeting.held_time", meeting.HeldTime);
        }
        violations.ThrowIfAny();
    }

    /// <summary>
    /// A new challenge at stage 1, awaiting the receiving side's acknowledgement, built field by
    /// field from what the raise may set: output-only and unknown fields never reach the store.
    /// </summary>
    public static V1.Challenge NewChallenge(RaiseChallengeRequest request, Caller caller, string id, DateTimeOffset now, string traceId)
    {
        var source = request.Challenge;
        var raiser = new Party { AgencyId = caller.AgencyId, ProfessionalId = caller.ProfessionalId, Role = source.RaisingParty?.Role ?? "" };
        var created = Timestamp.FromDateTimeOffset(now);
        var start = ChallengeTransitions.Arrive(Stage.ProfessionalDiscussion);
        return new V1.Challenge
        {
            Name = ResourceNames.Challenge(id),
            RaisingParty = raiser,
            ReceivingParty = ChallengeProjections.Party(source.ReceivingParty),
            Child = ChallengeProjections.Child(source.Child),
            Category = source.Category,
            CategoryDetail = source.Category == Category.Other ? source.CategoryDetail : "",
            Subject = source.Subject,
            UnsafePracticeReason = source.UnsafePracticeReason,
            DesiredChange = source.DesiredChange,
            ImpactOnChild = source.ImpactOnChild,
            RaisedInMeeting = ChallengeProjections.Meeting(source.RaisedInMeeting),
            Stage = start.Stage,
            ManagementTier = start.ManagementTier,
            State = start.State,
            CreateTime = created,
            UpdateTime = created,
            Version = 1,
            Etag = Etags.Of(1),
            TraceId = traceId,
            History =
            {
                new StageChange
                {
                    Stage = start.Stage, ManagementTier = start.ManagementTier, State = start.State,
                    Command = ChallengeCommandNames.Of(ChallengeCommand.Raise),
                    Actor = new Party { AgencyId = raiser.AgencyId, ProfessionalId = raiser.ProfessionalId },
                    ChangeTime = created, TraceId = traceId, Version = 1,
                },
            },
        };
    }
}
