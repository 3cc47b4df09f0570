using Disputes.ServiceDefaults.Grpc;
using Disputes.ServiceDefaults.Identity;
using Disputes.V1;

namespace Disputes.Challenge.Domain;

/// <summary>What a raised challenge must say, in the procedure's terms.</summary>
public static class RaiseChallengeRules
{
    public const int MaxNarrativeLength = 4000;
    public const int MaxIdLength = 128;

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

        if (challenge.Category == Category.Unspecified || !Enum.IsDefined(challenge.Category))
            violations.Add("challenge.category", "must be one of the procedure's categories, or CATEGORY_OTHER");
        if (challenge.Category == Category.Other)
            violations.Required("challenge.category_detail", challenge.CategoryDetail, MaxIdLength * 4);

        violations.Required("challenge.subject", challenge.Subject, MaxNarrativeLength);
        violations.Required("challenge.unsafe_practice_reason", challenge.UnsafePracticeReason, MaxNarrativeLength);
        violations.Required("challenge.desired_change", challenge.DesiredChange, MaxNarrativeLength);
        violations.Required("challenge.impact_on_child", challenge.ImpactOnChild, MaxNarrativeLength);
        violations.ThrowIfAny();
    }

    /// <summary>A new challenge at stage 1, awaiting the receiving side's acknowledgement.</summary>
    public static V1.Challenge NewChallenge(RaiseChallengeRequest request, Caller caller, string id, DateTimeOffset now, string traceId)
    {
        var challenge = request.Challenge.Clone();
        challenge.Name = ResourceNames.Challenge(id);
        challenge.RaisingParty ??= new Party();
        challenge.RaisingParty.AgencyId = caller.AgencyId;
        challenge.RaisingParty.ProfessionalId = caller.ProfessionalId;
        challenge.Stage = Stage.ProfessionalDiscussion;
        challenge.ManagementTier = 0;
        challenge.State = ChallengeState.AwaitingAcknowledgement;
        challenge.Resolution = null;
        challenge.CreateTime = Google.Protobuf.WellKnownTypes.Timestamp.FromDateTimeOffset(now);
        challenge.UpdateTime = challenge.CreateTime;
        challenge.Version = 1;
        challenge.Etag = Etags.Of(challenge.Version);
        challenge.TraceId = traceId;
        if (challenge.Category != Category.Other)
            challenge.CategoryDetail = "";
        return challenge;
    }
}
