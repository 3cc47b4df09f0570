using Disputes.V1;
using Disputes.V1.Events;
using Google.Protobuf.WellKnownTypes;

namespace Disputes.UnitTests;

/// <summary>Events as the challenge service publishes them, for tests of their consumers.</summary>
public static class TestEvents
{
    public static ChallengeRaised Raised(string challengeId = "01JD0000000000000000000000", DateTimeOffset? at = null,
        bool onChildProtectionPlan = false, bool lookedAfter = false) => new()
    {
        Challenge = $"challenges/{challengeId}",
        Version = 1,
        OccurTime = Timestamp.FromDateTimeOffset(at ?? new DateTimeOffset(2026, 11, 23, 10, 0, 0, TimeSpan.Zero)),
        RaisingParty = new Party { AgencyId = "police", ProfessionalId = "pc-101", Role = "police officer" },
        ReceivingParty = new Party { AgencyId = "childrens-social-care", ProfessionalId = "sw-7", Role = "social worker" },
        Child = new ChildReference { Reference = "child-ref-42", OnChildProtectionPlan = onChildProtectionPlan, LookedAfter = lookedAfter },
        Category = Category.CaseClosure,
        Subject = "Case closed after a single visit.",
        UnsafePracticeReason = "Concerns about neglect were reported again last week.",
        DesiredChange = "Re-open the case and complete an assessment.",
        ImpactOnChild = "The child remains in an unsafe home without support.",
    };
}
