using Disputes.V1;
using Disputes.V1.Events;
using Google.Protobuf.WellKnownTypes;

namespace Disputes.IntegrationTests;

/// <summary>Challenge events as the challenge service publishes them, for escalation's tests.</summary>
public static class EscalationEvents
{
    public static string NewChallengeId() => Disputes.ServiceDefaults.Grpc.SortableId.New(TimeProvider.System);

    public static ChallengeRaised Raised(string challengeId, DateTimeOffset at, bool lookedAfter = true, string raisingAgency = "police",
        string raisingProfessional = "pc-101", string receivingAgency = "childrens-social-care", string receivingProfessional = "sw-7") => new()
    {
        Challenge = $"challenges/{challengeId}",
        Version = 1,
        OccurTime = Timestamp.FromDateTimeOffset(at),
        RaisingParty = new Party { AgencyId = raisingAgency, ProfessionalId = raisingProfessional, Role = "police officer" },
        ReceivingParty = new Party { AgencyId = receivingAgency, ProfessionalId = receivingProfessional, Role = "social worker" },
        Child = new ChildReference { Reference = "child-ref-42", LookedAfter = lookedAfter, LocalAuthorityId = lookedAfter ? receivingAgency : "" },
        Category = Category.CaseClosure,
        Subject = "Case closed after a single visit.",
        UnsafePracticeReason = "Concerns were reported again.",
        DesiredChange = "Re-open the case.",
        ImpactOnChild = "No support plan.",
    };

    public static ChallengeEscalated Escalated(string challengeId, long version, Stage to, int tier, DateTimeOffset at) => new()
    {
        Challenge = $"challenges/{challengeId}",
        Version = version,
        OccurTime = Timestamp.FromDateTimeOffset(at),
        Actor = new Party { AgencyId = "police", ProfessionalId = "pc-101" },
        FromStage = to == Stage.SeniorManagers && tier > 1 ? Stage.SeniorManagers : to - 1,
        ToStage = to,
        ManagementTier = tier,
    };

    public static ChallengeResolved Resolved(string challengeId, long version, Stage stage, DateTimeOffset at) => new()
    {
        Challenge = $"challenges/{challengeId}",
        Version = version,
        OccurTime = Timestamp.FromDateTimeOffset(at),
        Stage = stage,
        Resolution = new Resolution { Kind = ResolutionKind.AgreedPlanOfAction, Summary = "Agreed." },
    };

    public static ChallengeAcknowledged Acknowledged(string challengeId, long version, DateTimeOffset at) => new()
    {
        Challenge = $"challenges/{challengeId}",
        Version = version,
        OccurTime = Timestamp.FromDateTimeOffset(at),
        Actor = new Party { AgencyId = "childrens-social-care", ProfessionalId = "sw-7" },
    };
}
