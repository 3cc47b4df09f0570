using Disputes.V1;
using Disputes.V1.Events;

namespace Disputes.Escalation.Domain;

/// <summary>
/// What escalation keeps of a raised challenge to route it: the two parties and the child's
/// IRO facts. Never the narrative, never the child's reference.
/// </summary>
public static class DisputeFacts
{
    /// <summary>An allowlist copy of the raised event holding only what routing needs.</summary>
    public static ChallengeRaised From(ChallengeRaised raised) => new()
    {
        Challenge = raised.Challenge,
        Version = raised.Version,
        OccurTime = raised.OccurTime,
        RaisingParty = CopyParty(raised.RaisingParty),
        ReceivingParty = CopyParty(raised.ReceivingParty),
        Child = raised.Child is null ? null : new ChildReference
        {
            OnChildProtectionPlan = raised.Child.OnChildProtectionPlan,
            LookedAfter = raised.Child.LookedAfter,
            LocalAuthorityId = raised.Child.LocalAuthorityId,
            IroProfessionalId = raised.Child.IroProfessionalId,
        },
    };

    public static bool IroRequired(ChallengeRaised facts) => facts.Child is { OnChildProtectionPlan: true } or { LookedAfter: true };

    public static Party CopyParty(Party? party) => party is null
        ? new Party()
        : new Party { AgencyId = party.AgencyId, ProfessionalId = party.ProfessionalId, Role = party.Role };
}
