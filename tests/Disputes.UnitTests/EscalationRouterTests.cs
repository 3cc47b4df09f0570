using Disputes.Escalation.Domain;
using Disputes.V1;
using Disputes.V1.Events;
using static Disputes.UnitTests.EscalationDirectoryFixtures;

namespace Disputes.UnitTests;

/// <summary>The routing table, stage by stage, with the IRO rule and the gaps.</summary>
public class EscalationRouterTests
{
    private static ChallengeRaised Facts(bool lookedAfter = false, string localAuthority = "", string namedIro = "")
    {
        var raised = DisputeFacts.From(TestEvents.Raised(lookedAfter: lookedAfter));
        raised.Child.LocalAuthorityId = localAuthority;
        raised.Child.IroProfessionalId = namedIro;
        return raised;
    }

    private static string[] Who(Routing routing) =>
        routing.Parties.Select(p => $"{p.Responsibility}:{p.Party.AgencyId}/{p.Party.ProfessionalId}").ToArray();

    [Fact]
    public void Stage_one_is_the_two_professionals_referrer_first()
    {
        var routing = EscalationRouter.Route(Facts(), Stage.ProfessionalDiscussion, 0, null, Directory());

        Assert.Equal(["Referrer:police/pc-101", "ReceivingProfessional:childrens-social-care/sw-7"], Who(routing));
        Assert.Empty(routing.Gaps);
    }

    [Fact]
    public void Stage_two_is_both_line_managers_and_for_a_looked_after_child_the_local_authoritys_IROs()
    {
        var routing = EscalationRouter.Route(Facts(lookedAfter: true, localAuthority: "childrens-social-care"), Stage.LineManagers, 0, null, Directory());

        Assert.Equal(
        [
            "Referrer:police/pc-101", "RaisingLineManager:police/sgt-12", "ReceivingLineManager:childrens-social-care/tm-2",
            "IndependentReviewingOfficer:childrens-social-care/iro-1", "IndependentReviewingOfficer:childrens-social-care/iro-2",
        ], Who(routing));
        Assert.Empty(routing.Gaps);
    }

    [Fact]
    public void The_childs_named_IRO_is_brought_in_rather_than_every_IRO()
    {
        var routing = EscalationRouter.Route(Facts(lookedAfter: true, localAuthority: "childrens-social-care", namedIro: "iro-2"), Stage.LineManagers, 0, null, Directory());

        Assert.Equal(["childrens-social-care/iro-2"], routing.Parties.Where(p => p.Responsibility == Responsibility.IndependentReviewingOfficer)
            .Select(p => $"{p.Party.AgencyId}/{p.Party.ProfessionalId}"));
    }

    [Fact]
    public void No_IRO_at_stage_two_for_a_child_neither_on_a_plan_nor_looked_after()
    {
        var routing = EscalationRouter.Route(Facts(localAuthority: "childrens-social-care"), Stage.LineManagers, 0, null, Directory());

        Assert.DoesNotContain(routing.Parties, p => p.Responsibility == Responsibility.IndependentReviewingOfficer);
    }

    [Fact]
    public void A_looked_after_child_whose_local_authority_has_no_IRO_is_a_gap()
    {
        var routing = EscalationRouter.Route(Facts(lookedAfter: true, localAuthority: "health"), Stage.LineManagers, 0, null, Directory());

        var gap = Assert.Single(routing.Gaps);
        Assert.Equal(Responsibility.IndependentReviewingOfficer, gap.Responsibility);
        Assert.Equal("health", gap.AgencyId);
    }

    [Fact]
    public void Without_a_line_manager_the_agencys_safeguarding_leads_are_responsible_else_it_is_a_gap()
    {
        var raised = Facts();
        raised.RaisingParty = new Party { AgencyId = "education", ProfessionalId = "teacher-9" };
        raised.ReceivingParty = new Party { AgencyId = "health", ProfessionalId = "hv-5" };

        var routing = EscalationRouter.Route(raised, Stage.LineManagers, 0, null, Directory());

        Assert.Contains("RaisingLineManager:education/dsl-8", Who(routing));
        var gap = Assert.Single(routing.Gaps);
        Assert.Equal(Responsibility.ReceivingLineManager, gap.Responsibility);
        Assert.Equal("health", gap.AgencyId);
    }

    [Theory]
    [InlineData(1, "insp-21", "sm-4")]
    [InlineData(2, "supt-3", "hos-1")]
    public void Stage_three_tier_t_is_each_sides_manager_at_directory_tier_t_plus_one(int tier, string police, string socialCare)
    {
        var routing = EscalationRouter.Route(Facts(), Stage.SeniorManagers, tier, null, Directory());

        Assert.Equal(["Referrer:police/pc-101", $"RaisingSeniorManager:police/{police}", $"ReceivingSeniorManager:childrens-social-care/{socialCare}"], Who(routing));
    }

    [Fact]
    public void A_tier_nobody_holds_is_a_gap_for_each_side_and_a_retired_manager_is_skipped()
    {
        var routing = EscalationRouter.Route(Facts(), Stage.SeniorManagers, 3, null, Directory());
        Assert.Equal([Responsibility.RaisingSeniorManager, Responsibility.ReceivingSeniorManager], routing.Gaps.Select(g => g.Responsibility));
        Assert.Contains("management tier 4", routing.Gaps[0].Detail);

        var retired = Directory(people => people.Select(p => p.Name.EndsWith("/insp-21") ? Person("police", "insp-21", 2, "supt-3", retired: true) : p));
        var afterRetirement = EscalationRouter.Route(Facts(), Stage.SeniorManagers, 1, null, retired);
        Assert.Equal(Responsibility.RaisingSeniorManager, Assert.Single(afterRetirement.Gaps).Responsibility);
    }

    [Fact]
    public void Stage_four_is_the_partnership_contacts_and_the_appointed_chair()
    {
        var chair = new Party { AgencyId = "health", ProfessionalId = "chair-health" };

        var before = EscalationRouter.Route(Facts(), Stage.SafeguardingPartnership, 0, null, Directory());
        var after = EscalationRouter.Route(Facts(), Stage.SafeguardingPartnership, 0, chair, Directory());

        Assert.Equal(["Referrer:police/pc-101", "PartnershipContact:safeguarding-partnership/scp-1"], Who(before));
        Assert.Equal("IndependentChair:health/chair-health", Who(after)[^1]);
    }

    [Fact]
    public void No_partnership_contact_is_a_gap()
    {
        var routing = EscalationRouter.Route(Facts(), Stage.SafeguardingPartnership, 0, null,
            Directory(people => people.Where(p => !p.Roles.Contains("partnership"))));

        Assert.Equal(Responsibility.PartnershipContact, Assert.Single(routing.Gaps).Responsibility);
    }

    [Fact]
    public void A_missed_acknowledgement_alerts_the_receiving_line_manager()
    {
        var next = EscalationRouter.NextTier(Facts(), Stage.ProfessionalDiscussion, 0, Timescales.Acknowledgement, Directory());

        Assert.Equal(["ReceivingLineManager:childrens-social-care/tm-2"], Who(next));
    }

    [Fact]
    public void A_missed_stage_alerts_the_next_stages_people()
    {
        Assert.Equal(["RaisingLineManager:police/sgt-12", "ReceivingLineManager:childrens-social-care/tm-2"],
            Who(EscalationRouter.NextTier(Facts(), Stage.ProfessionalDiscussion, 0, Timescales.Stage, Directory())));
        Assert.Equal(["RaisingSeniorManager:police/insp-21", "ReceivingSeniorManager:childrens-social-care/sm-4"],
            Who(EscalationRouter.NextTier(Facts(), Stage.LineManagers, 0, Timescales.Stage, Directory())));
        Assert.Equal(["PartnershipContact:safeguarding-partnership/scp-1"],
            Who(EscalationRouter.NextTier(Facts(), Stage.SeniorManagers, 5, Timescales.Stage, Directory())));
    }
}
