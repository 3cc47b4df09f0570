using Disputes.Procedure;
using Disputes.ServiceDefaults.Identity;

namespace Disputes.UnitTests;

public class DisputeAccessTests
{
    private static readonly DisputeParties Parties = new("police", "childrens-social-care",
        AppointedProfessional.Of("local-authority", "iro-3", "chairs", "chair-1"), "local-authority");

    [Theory]
    [InlineData("police", "pc-1", "practitioner", DisputeView.Full)]
    [InlineData("childrens-social-care", "sw-7", "practitioner", DisputeView.Full)]
    [InlineData("health", "hv-2", "practitioner", DisputeView.None)]
    [InlineData("health", "hv-2", "line_manager", DisputeView.None)]
    [InlineData("partnership", "scp-1", "partnership", DisputeView.Full)]
    [InlineData("local-authority", "iro-3", "iro", DisputeView.Full)]
    // The named IRO is the local authority's iro-3: another agency's iro-3 is not them.
    [InlineData("childrens-social-care-iro", "iro-3", "iro", DisputeView.None)]
    [InlineData("childrens-social-care-iro", "iro-9", "iro", DisputeView.None)]
    [InlineData("education", "iro-3", "practitioner", DisputeView.None)]
    [InlineData("local-authority", "iro-5", "iro", DisputeView.Full)]
    [InlineData("local-authority", "sw-9", "practitioner", DisputeView.None)]
    [InlineData("health", "iro-6", "iro", DisputeView.None)]
    [InlineData("suite", "eng-1", "support", DisputeView.Support)]
    [InlineData("chairs", "chair-1", "independent_chair", DisputeView.Full)]
    [InlineData("chairs", "chair-1", "practitioner", DisputeView.None)]
    [InlineData("chairs", "chair-2", "independent_chair", DisputeView.None)]
    // Professional ids are an agency's own: another agency's chair-1 is not the chair appointed.
    [InlineData("education", "chair-1", "independent_chair", DisputeView.None)]
    public void The_permission_table(string agency, string professional, string role, DisputeView expected) =>
        Assert.Equal(expected, DisputeAccess.ViewFor(new Caller(professional, agency, new HashSet<string> { role }), Parties));

    [Fact]
    public void A_token_without_an_agency_is_never_a_party() =>
        Assert.Equal(DisputeView.None, DisputeAccess.ViewFor(new Caller("x", "", new HashSet<string>()), new DisputeParties("", "")));
}
