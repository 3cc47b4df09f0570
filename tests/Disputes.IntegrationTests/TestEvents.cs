using Disputes.V1;
using Disputes.V1.Events;
using Google.Protobuf.WellKnownTypes;

namespace Disputes.IntegrationTests;

public static class TestEvents
{
    public static ChallengeRaised Raised(int n = 1) => new()
    {
        Challenge = $"challenges/01JD{n:0000000000000000000000}",
        Version = 1,
        OccurTime = Timestamp.FromDateTimeOffset(DateTimeOffset.UtcNow),
        RaisingParty = new Party { AgencyId = "police", ProfessionalId = "pc-101", Role = "police officer" },
        ReceivingParty = new Party { AgencyId = "childrens-social-care", ProfessionalId = "sw-7", Role = "social worker" },
        Child = new ChildReference { Reference = "child-ref-42" },
        Category = Category.NeedForAction,
        Subject = "No strategy discussion was held.",
        UnsafePracticeReason = "Injuries were seen twice.",
        DesiredChange = "Hold a strategy discussion.",
        ImpactOnChild = "Risk of further harm.",
    };
}
