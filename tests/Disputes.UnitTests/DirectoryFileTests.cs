using Disputes.Escalation.Directory;
using Disputes.Escalation.Domain;
using Disputes.V1;

namespace Disputes.UnitTests;

public class DirectoryFileTests
{
    [Fact]
    public void The_demo_partnership_file_parses_into_valid_entries_with_chains_iros_contacts_and_chairs()
    {
        var file = DirectoryFile.Parse(File.ReadAllText(Path.Combine(RepositoryRoot(), "deploy", "directory", "demo-partnership.yaml")));

        Assert.Contains(file.Agencies, a => a.Id == "police" && a.Kind == AgencyKind.Police);
        Assert.Contains(file.Agencies, a => a.Id == "childrens-social-care" && a.Kind == AgencyKind.ChildrensSocialCare);
        foreach (var agency in file.Agencies)
        {
            Assert.True(DirectoryNames.IsAgencyId(agency.Id), agency.Id);
            Assert.Empty(DirectoryEntries.ValidateAgency(DirectoryFile.AgencyOf(agency), "agency", DirectoryEntries.AgencyFields));
            foreach (var entry in agency.Professionals)
            {
                Assert.True(DirectoryNames.IsProfessionalId(entry.Id), entry.Id);
                Assert.Empty(DirectoryEntries.ValidateProfessional(DirectoryFile.ProfessionalOf(agency.Id, entry), "professional", DirectoryEntries.ProfessionalFields));
            }
        }
        var people = file.Agencies.SelectMany(a => a.Professionals.Select(p => DirectoryFile.ProfessionalOf(a.Id, p) is var professional
            ? WithName(professional, a.Id, p.Id) : null)).ToArray();
        var directory = new PartnershipDirectory(file.Agencies.Select(a => new Agency { Name = DirectoryNames.Agency(a.Id), Kind = a.Kind }), people!);
        Assert.Equal("agencies/police/professionals/sgt-12", directory.LineManagerOf(directory.Find("police", "pc-101")!)!.Name);
        Assert.NotEmpty(directory.WithRoleIn("childrens-social-care", "iro"));
        Assert.NotEmpty(directory.WithRole("partnership"));
        Assert.True(directory.ChairPool.Count >= 2);
    }

    [Fact]
    public void Roles_unknown_and_a_negative_tier_are_field_violations()
    {
        var professional = new Professional { DisplayName = "x", ManagementTier = -1, Email = "not-an-address", LineManager = "sgt-12" };
        professional.Roles.Add("admin");

        var fields = DirectoryEntries.ValidateProfessional(professional, "professional", DirectoryEntries.ProfessionalFields).Select(v => v.Field).ToArray();

        Assert.Equal(["professional.email", "professional.roles", "professional.line_manager", "professional.management_tier"], fields);
    }

    private static Professional WithName(Professional professional, string agency, string id)
    {
        professional.Name = DirectoryNames.Professional(agency, id);
        return professional;
    }

    private static string RepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Disputes.slnx")))
                return directory.FullName;
        }
        throw new InvalidOperationException("The repository root is not above the test output.");
    }
}
