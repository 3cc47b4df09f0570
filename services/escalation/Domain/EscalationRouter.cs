using Disputes.V1;
using Disputes.V1.Events;

namespace Disputes.Escalation.Domain;

/// <summary>A responsibility the stage needs that nobody in the directory holds.</summary>
public sealed record RoutingGap(Responsibility Responsibility, string AgencyId, string Detail);

/// <summary>Who is responsible at a stage, and the gaps where nobody is.</summary>
public sealed record Routing(IReadOnlyList<ResponsibleParty> Parties, IReadOnlyList<RoutingGap> Gaps);

/// <summary>
/// The routing table: who is responsible for a dispute at each stage.
/// Stage 1: the two professionals. Stage 2: both line managers (or, where no line manager is
/// recorded, the agency's safeguarding leads). Stage 3 tier t: each side's manager at directory
/// management tier t + 1 up the chain. Stage 4: the partnership contacts and the appointed chair.
/// From stage 2, for a child on a CP Plan or Looked After, the IRO (the named one, else the
/// responsible local authority's IROs). The referrer is always listed first.
/// </summary>
public static class EscalationRouter
{
    public static Routing Route(ChallengeRaised facts, Stage stage, int managementTier, Party? chair, PartnershipDirectory directory)
    {
        var parties = new List<ResponsibleParty> { Responsible(facts.RaisingParty, Responsibility.Referrer) };
        var gaps = new List<RoutingGap>();
        switch (stage)
        {
            case Stage.ProfessionalDiscussion:
                parties.Add(Responsible(facts.ReceivingParty, Responsibility.ReceivingProfessional));
                break;
            case Stage.LineManagers:
                AddLineManagers(facts.RaisingParty, Responsibility.RaisingLineManager, directory, parties, gaps);
                AddLineManagers(facts.ReceivingParty, Responsibility.ReceivingLineManager, directory, parties, gaps);
                break;
            case Stage.SeniorManagers:
                AddSeniorManager(facts.RaisingParty, Responsibility.RaisingSeniorManager, managementTier, directory, parties, gaps);
                AddSeniorManager(facts.ReceivingParty, Responsibility.ReceivingSeniorManager, managementTier, directory, parties, gaps);
                break;
            case Stage.SafeguardingPartnership:
                AddPartnershipContacts(directory, parties, gaps);
                if (chair is { ProfessionalId.Length: > 0 })
                    parties.Add(Responsible(chair, Responsibility.IndependentChair));
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(stage), stage, "not a stage");
        }
        if (stage >= Stage.LineManagers && DisputeFacts.IroRequired(facts))
            AddIros(facts.Child, directory, parties, gaps);
        return new Routing(Distinct(parties), gaps);
    }

    /// <summary>
    /// Who is alerted when a timescale is missed: the next tier up. A missed acknowledgement
    /// goes to the receiving line manager; a missed stage to whoever the next stage brings in.
    /// </summary>
    public static Routing NextTier(ChallengeRaised facts, Stage stage, int managementTier, string timescale, PartnershipDirectory directory)
    {
        var parties = new List<ResponsibleParty>();
        var gaps = new List<RoutingGap>();
        switch (timescale, stage)
        {
            case (Timescales.Acknowledgement, _):
                AddLineManagers(facts.ReceivingParty, Responsibility.ReceivingLineManager, directory, parties, gaps);
                break;
            case (Timescales.Stage, Stage.ProfessionalDiscussion):
                AddLineManagers(facts.RaisingParty, Responsibility.RaisingLineManager, directory, parties, gaps);
                AddLineManagers(facts.ReceivingParty, Responsibility.ReceivingLineManager, directory, parties, gaps);
                break;
            case (Timescales.Stage, Stage.LineManagers):
            case (Timescales.Stage, Stage.SeniorManagers):
                var tier = stage == Stage.LineManagers ? 1 : managementTier + 1;
                AddSeniorManager(facts.RaisingParty, Responsibility.RaisingSeniorManager, tier, directory, parties, gaps);
                AddSeniorManager(facts.ReceivingParty, Responsibility.ReceivingSeniorManager, tier, directory, parties, gaps);
                if (parties.Count == 0)
                    AddPartnershipContacts(directory, parties, gaps);
                break;
            default:
                AddPartnershipContacts(directory, parties, gaps);
                break;
        }
        return new Routing(Distinct(parties), gaps);
    }

    private static void AddLineManagers(Party side, Responsibility responsibility, PartnershipDirectory directory,
        List<ResponsibleParty> parties, List<RoutingGap> gaps)
    {
        var professional = directory.Find(side.AgencyId, side.ProfessionalId);
        if (professional is not null && directory.LineManagerOf(professional) is { } manager)
        {
            parties.Add(Responsible(manager, responsibility));
            return;
        }
        // No line manager recorded: the procedure names safeguarding leads as the alternative.
        var leads = directory.WithRoleIn(side.AgencyId, DirectoryRoles.SafeguardingLead).ToArray();
        parties.AddRange(leads.Select(lead => Responsible(lead, responsibility)));
        if (leads.Length == 0)
            gaps.Add(new RoutingGap(responsibility, side.AgencyId, professional is null
                ? $"{side.ProfessionalId} is not in the directory and {side.AgencyId} has no safeguarding lead"
                : $"no line manager recorded for {side.ProfessionalId} and {side.AgencyId} has no safeguarding lead"));
    }

    private static void AddSeniorManager(Party side, Responsibility responsibility, int managementTier, PartnershipDirectory directory,
        List<ResponsibleParty> parties, List<RoutingGap> gaps)
    {
        var directoryTier = managementTier + 1;
        var professional = directory.Find(side.AgencyId, side.ProfessionalId);
        var manager = professional is null ? null : directory.ChainAbove(professional).FirstOrDefault(m => m.ManagementTier == directoryTier);
        if (manager is not null)
            parties.Add(Responsible(manager, responsibility));
        else
            gaps.Add(new RoutingGap(responsibility, side.AgencyId, professional is null
                ? $"{side.ProfessionalId} is not in the directory"
                : $"no professional at management tier {directoryTier} above {side.ProfessionalId}"));
    }

    private static void AddPartnershipContacts(PartnershipDirectory directory, List<ResponsibleParty> parties, List<RoutingGap> gaps)
    {
        var contacts = directory.WithRole(DirectoryRoles.Partnership).ToArray();
        parties.AddRange(contacts.Select(c => Responsible(c, Responsibility.PartnershipContact)));
        if (contacts.Length == 0)
            gaps.Add(new RoutingGap(Responsibility.PartnershipContact, "", "no professional has the partnership role"));
    }

    private static void AddIros(ChildReference child, PartnershipDirectory directory, List<ResponsibleParty> parties, List<RoutingGap> gaps)
    {
        if (child.IroProfessionalId.Length > 0)
        {
            // The child's named IRO, of the local authority when the directory knows them there.
            var named = directory.Find(child.LocalAuthorityId, child.IroProfessionalId);
            parties.Add(named is not null
                ? Responsible(named, Responsibility.IndependentReviewingOfficer)
                : new ResponsibleParty
                {
                    Party = new Party { AgencyId = child.LocalAuthorityId, ProfessionalId = child.IroProfessionalId, Role = DirectoryRoles.IndependentReviewingOfficer },
                    Responsibility = Responsibility.IndependentReviewingOfficer,
                });
            return;
        }
        var iros = child.LocalAuthorityId.Length == 0
            ? []
            : directory.WithRoleIn(child.LocalAuthorityId, DirectoryRoles.IndependentReviewingOfficer).ToArray();
        parties.AddRange(iros.Select(iro => Responsible(iro, Responsibility.IndependentReviewingOfficer)));
        if (iros.Length == 0)
            gaps.Add(new RoutingGap(Responsibility.IndependentReviewingOfficer, child.LocalAuthorityId, child.LocalAuthorityId.Length == 0
                ? "the child's responsible local authority is not known"
                : $"no IRO recorded in {child.LocalAuthorityId}"));
    }

    public static ResponsibleParty Responsible(Party party, Responsibility responsibility) =>
        new() { Party = DisputeFacts.CopyParty(party), Responsibility = responsibility };

    public static ResponsibleParty Responsible(Professional professional, Responsibility responsibility) =>
        new() { Party = PartyOf(professional), Responsibility = responsibility };

    public static Party PartyOf(Professional professional) => new()
    {
        AgencyId = DirectoryNames.AgencyIdOf(professional.Name),
        ProfessionalId = DirectoryNames.ProfessionalIdOf(professional.Name),
        Role = professional.Roles.FirstOrDefault() ?? "",
    };

    /// <summary>One entry per person and responsibility, in the order added (the referrer first).</summary>
    private static List<ResponsibleParty> Distinct(List<ResponsibleParty> parties) =>
        parties.DistinctBy(p => (p.Party.AgencyId, p.Party.ProfessionalId, p.Responsibility)).ToList();
}

/// <summary>The timescales a policy sets, by the names events carry.</summary>
public static class Timescales
{
    public const string Acknowledgement = "acknowledgement";
    public const string Stage = "stage";
    public const string Overall = "overall";
}
