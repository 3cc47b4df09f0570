using Disputes.V1;

namespace Disputes.Notification.Domain;

/// <summary>
/// What notification keeps of a dispute from the events it received: who to tell (the
/// referrer and the receiving professional), the child's flags that bring in the IRO, and
/// who was appointed to it. Never the narrative or the child's reference.
/// </summary>
public sealed record DisputeFacts(
    string ChallengeId,
    Party Referrer,
    Party ReceivingProfessional,
    bool ChildOnProtectionPlan,
    bool ChildLookedAfter,
    string LocalAuthorityId,
    string IroProfessionalId,
    Party? Chair = null)
{
    /// <summary>The child is on a CP Plan or Looked After: the IRO must be notified from stage 2.</summary>
    public bool IroRequired => ChildOnProtectionPlan || ChildLookedAfter;

    public string ChallengeName => $"challenges/{ChallengeId}";

    public static DisputeFacts From(string challengeId, Disputes.V1.Events.ChallengeRaised raised) => new(
        challengeId,
        Copy(raised.RaisingParty),
        Copy(raised.ReceivingParty),
        raised.Child?.OnChildProtectionPlan ?? false,
        raised.Child?.LookedAfter ?? false,
        raised.Child?.LocalAuthorityId ?? "",
        raised.Child?.IroProfessionalId ?? "");

    /// <summary>Whether a second raise event names the same parties (a redelivery), rather than contradicting them.</summary>
    public bool SamePartiesAs(DisputeFacts other) =>
        Referrer.AgencyId == other.Referrer.AgencyId && Referrer.ProfessionalId == other.Referrer.ProfessionalId
        && ReceivingProfessional.AgencyId == other.ReceivingProfessional.AgencyId
        && ReceivingProfessional.ProfessionalId == other.ReceivingProfessional.ProfessionalId;

    /// <summary>An allowlist copy of a party: its three defined fields, nothing unknown.</summary>
    public static Party Copy(Party? party) => party is null
        ? new Party()
        : new Party { AgencyId = party.AgencyId, ProfessionalId = party.ProfessionalId, Role = party.Role };
}
