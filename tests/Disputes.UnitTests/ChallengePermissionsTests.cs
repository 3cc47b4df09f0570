using Disputes.Challenge.Domain;
using Disputes.Procedure;
using Disputes.ServiceDefaults.Identity;
using Disputes.V1;
using static Disputes.Challenge.Domain.ChallengeCommand;

namespace Disputes.UnitTests;

/// <summary>The permission table as a matrix: command x stage x caller.</summary>
public class ChallengePermissionsTests
{
    // The raiser is pc-101 of police; the receiving agency is childrens-social-care, also the
    // child's local authority, whose IROs (the named iro-3 among them) the IRO rule brings in; the chair is chair-1 of education.
    private static Caller C(string id, string agency, params string[] roles) => new(id, agency, roles.ToHashSet());

    private static readonly Dictionary<string, Caller> Callers = new()
    {
        ["raiser"] = C("pc-101", "police", DisputeRoles.Practitioner),
        ["raising practitioner"] = C("pc-102", "police", DisputeRoles.Practitioner),
        ["raising line manager"] = C("sgt-1", "police", DisputeRoles.LineManager),
        ["raising safeguarding lead"] = C("sl-1", "police", DisputeRoles.SafeguardingLead),
        ["raising senior manager"] = C("ci-1", "police", DisputeRoles.SeniorManager),
        ["receiving practitioner"] = C("sw-7", "childrens-social-care", DisputeRoles.Practitioner),
        ["receiving line manager"] = C("tm-2", "childrens-social-care", DisputeRoles.LineManager),
        ["receiving senior manager"] = C("hos-1", "childrens-social-care", DisputeRoles.SeniorManager),
        // Professional ids are an agency's own: another agency's iro-3 is not the child's IRO.
        ["the named IRO's id at another agency"] = C("iro-3", "iro-service", DisputeRoles.IndependentReviewingOfficer),
        ["local authority IRO"] = C("iro-9", "childrens-social-care", DisputeRoles.IndependentReviewingOfficer),
        ["partnership"] = C("p-1", "partnership", DisputeRoles.Partnership),
        ["chair"] = C("chair-1", "education", DisputeRoles.IndependentChair),
        ["another chair"] = C("chair-2", "education", DisputeRoles.IndependentChair),
        ["outsider line manager"] = C("lm-9", "health", DisputeRoles.LineManager),
        ["support"] = C("eng-1", "platform", DisputeRoles.Support),
    };

    private static readonly string[] Parties =
    [
        "raiser", "raising practitioner", "raising line manager", "raising safeguarding lead", "raising senior manager",
        "receiving practitioner", "receiving line manager", "receiving senior manager", "local authority IRO",
    ];

    private static readonly string[] Managers = ["raising line manager", "raising safeguarding lead", "receiving line manager"];
    private static readonly string[] SeniorManagers = ["raising senior manager", "receiving senior manager"];

    /// <summary>command, stage, target stage, who is allowed (everyone else is refused).</summary>
    public static TheoryData<ChallengeCommand, int, int, string[]> Matrix() => new()
    {
        { Acknowledge, 1, 0, ["receiving practitioner", "receiving line manager", "receiving senior manager", "local authority IRO"] },
        { RecordDiscussion, 1, 0, Parties },
        { RecordDiscussion, 3, 0, Parties },
        { RecordDiscussion, 4, 0, [.. Parties, "partnership", "chair"] },
        { ChallengeCommand.Review, 2, 0, ["raising line manager", "raising safeguarding lead"] },
        { Escalate, 1, 0, Parties },
        { Escalate, 2, 0, Managers },
        { Escalate, 3, 0, SeniorManagers },
        { Escalate, 3, 4, [.. SeniorManagers, "local authority IRO"] },
        { Escalate, 1, 3, ["local authority IRO"] },
        { Resolve, 1, 0, Parties.Where(p => p != "local authority IRO").ToArray() },
        { Resolve, 2, 0, [.. Managers, .. SeniorManagers] },
        { Resolve, 3, 0, SeniorManagers },
        { Resolve, 4, 0, ["partnership", "chair"] },
        { Withdraw, 2, 0, ["raiser", "raising line manager"] },
    };

    [Theory]
    [MemberData(nameof(Matrix))]
    public void Each_command_is_allowed_to_exactly_these_callers(ChallengeCommand command, int stage, int target, string[] allowed)
    {
        var challenge = AtStage((Stage)stage);

        var actual = Callers.Where(c => ChallengePermissions.Allows(command, challenge, c.Value, (Stage)target)).Select(c => c.Key).Order();

        Assert.Equal(allowed.Order(), actual);
    }

    [Fact]
    public void The_IRO_rule_applies_only_to_a_child_on_a_CP_Plan_or_Looked_After()
    {
        var notLookedAfter = AtStage(Stage.ProfessionalDiscussion, lookedAfter: false);

        Assert.False(ChallengePermissions.Allows(Escalate, notLookedAfter, Callers["local authority IRO"], Stage.SeniorManagers));
    }

    private static ChallengeAggregate AtStage(Stage stage, bool lookedAfter = true)
    {
        var message = ChallengeAggregateTests.Raised(lookedAfter)
            .WithIndependentChair(new Party { AgencyId = "education", ProfessionalId = "chair-1" }, 1, ChallengeAggregateTests.Now)
            .ToMessage();
        var position = ChallengeTransitions.Arrive(stage);
        message.Stage = position.Stage;
        message.ManagementTier = position.ManagementTier;
        message.State = ChallengeState.InDiscussion;
        return new ChallengeAggregate(message);
    }
}
