using Disputes.Procedure;
using Disputes.ServiceDefaults.Identity;
using Disputes.V1;
using static Disputes.V1.Stage;

namespace Disputes.Challenge.Domain;

/// <summary>
/// Who may do what to a challenge, in one place. Reading is <see cref="DisputeAccess"/>'s table;
/// this one says which reader may run which command where the challenge stands.
/// </summary>
public static class ChallengePermissions
{
    public static bool Allows(ChallengeCommand command, ChallengeAggregate challenge, Caller caller, Stage targetStage = Unspecified) => command switch
    {
        ChallengeCommand.Raise => true,
        ChallengeCommand.Acknowledge => OfAgency(caller, challenge.ReceivingParty.AgencyId),
        ChallengeCommand.RecordDiscussion => OfPartyAgency(caller, challenge)
            || (challenge.Position.Stage == SafeguardingPartnership && (caller.HasRole(DisputeRoles.Partnership) || IsAppointedChair(caller, challenge))),
        ChallengeCommand.Review => OfAgency(caller, challenge.RaisingParty.AgencyId) && IsManager(caller),
        ChallengeCommand.Escalate => (targetStage != Unspecified && IsChildsIro(caller, challenge)) || (IsStageMove(challenge.Position.Stage, targetStage) && challenge.Position.Stage switch
        {
            ProfessionalDiscussion => OfPartyAgency(caller, challenge),
            LineManagers => OfPartyAgency(caller, challenge) && IsManager(caller),
            SeniorManagers => OfPartyAgency(caller, challenge) && caller.HasRole(DisputeRoles.SeniorManager),
            _ => false,
        }),
        ChallengeCommand.AutoEscalate => true,
        ChallengeCommand.Resolve => challenge.Position.Stage switch
        {
            ProfessionalDiscussion => OfPartyAgency(caller, challenge) && (caller.HasRole(DisputeRoles.Practitioner) || IsManager(caller) || caller.HasRole(DisputeRoles.SeniorManager)),
            LineManagers => OfPartyAgency(caller, challenge) && (IsManager(caller) || caller.HasRole(DisputeRoles.SeniorManager)),
            SeniorManagers => OfPartyAgency(caller, challenge) && caller.HasRole(DisputeRoles.SeniorManager),
            SafeguardingPartnership => caller.HasRole(DisputeRoles.Partnership) || IsAppointedChair(caller, challenge),
            _ => false,
        },
        ChallengeCommand.Withdraw => IsRaiser(caller, challenge)
            || (OfAgency(caller, challenge.RaisingParty.AgencyId) && caller.HasRole(DisputeRoles.LineManager)),
        _ => false,
    };

    /// <summary>The escalation the stage's own managers may make: the next stage (or tier); from stage 3, also the partnership.</summary>
    private static bool IsStageMove(Stage stage, Stage target) =>
        target == Unspecified || target == stage + 1;

    /// <summary>
    /// The caller is the IRO the IRO rule brings in: an IRO of the child's local authority, the
    /// named IRO included (a bare id is only unique within its agency, so the agency decides).
    /// </summary>
    public static bool IsChildsIro(Caller caller, ChallengeAggregate challenge) =>
        challenge.ChildOnPlanOrLookedAfter
        && caller.HasRole(DisputeRoles.IndependentReviewingOfficer)
        && challenge.Child.LocalAuthorityId.Length > 0 && caller.AgencyId == challenge.Child.LocalAuthorityId;

    public static bool IsAppointedChair(Caller caller, ChallengeAggregate challenge) =>
        challenge.IndependentChair is { } chair
        && caller.HasRole(DisputeRoles.IndependentChair)
        && caller.ProfessionalId == chair.ProfessionalId && caller.AgencyId == chair.AgencyId;

    private static bool IsRaiser(Caller caller, ChallengeAggregate challenge) =>
        OfAgency(caller, challenge.RaisingParty.AgencyId) && caller.ProfessionalId.Length > 0 && caller.ProfessionalId == challenge.RaisingParty.ProfessionalId;

    private static bool IsManager(Caller caller) => caller.HasRole(DisputeRoles.LineManager) || caller.HasRole(DisputeRoles.SafeguardingLead);

    private static bool OfPartyAgency(Caller caller, ChallengeAggregate challenge) =>
        OfAgency(caller, challenge.RaisingParty.AgencyId) || OfAgency(caller, challenge.ReceivingParty.AgencyId);

    private static bool OfAgency(Caller caller, string agencyId) => caller.AgencyId.Length > 0 && caller.AgencyId == agencyId;

    /// <summary>What the caller is missing, without saying anything about the challenge's content.</summary>
    public static string Requirement(ChallengeCommand command, Stage stage) => command switch
    {
        ChallengeCommand.Acknowledge => "Only a professional of the receiving agency acknowledges a challenge.",
        ChallengeCommand.RecordDiscussion => "Only the party agencies (at stage 4 also the partnership and the appointed independent chair) record discussions.",
        ChallengeCommand.Review => "Only a line manager or safeguarding lead of the raising agency reviews a challenge at stage 2.",
        ChallengeCommand.Escalate => stage switch
        {
            ProfessionalDiscussion => "At stage 1 a professional of either party agency escalates.",
            LineManagers => "At stage 2 a line manager or safeguarding lead of either party agency escalates.",
            _ => "At stage 3 a senior manager of either party agency escalates; past that, only the child's IRO.",
        },
        ChallengeCommand.Resolve => stage == SafeguardingPartnership
            ? "At stage 4 the partnership or the appointed independent chair resolves a challenge."
            : "A professional of either party agency at or above the stage's level resolves a challenge.",
        ChallengeCommand.Withdraw => "Only the raiser, or a line manager of the raising agency, withdraws a challenge.",
        _ => "The caller may not do this.",
    };
}
