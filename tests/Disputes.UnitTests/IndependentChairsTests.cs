using Disputes.Escalation.Domain;
using Disputes.V1.Events;
using static Disputes.UnitTests.EscalationDirectoryFixtures;

namespace Disputes.UnitTests;

/// <summary>The independent chair comes from an agency not involved, by fair rotation, skipping the unavailable.</summary>
public class IndependentChairsTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 23, 10, 0, 0, TimeSpan.Zero);

    private static ChallengeRaised Facts(string localAuthority = "childrens-social-care", string raising = "police")
    {
        var facts = DisputeFacts.From(TestEvents.Raised(lookedAfter: true));
        facts.Child.LocalAuthorityId = localAuthority;
        facts.RaisingParty.AgencyId = raising;
        return facts;
    }

    [Fact]
    public void The_rotation_goes_round_the_pool_in_order_skipping_involved_agencies()
    {
        var directory = Directory();
        var chosen = new List<string>();
        string? last = null;
        for (var i = 0; i < 4; i++)
        {
            var chair = IndependentChairs.Choose(Facts(), directory, last, Now)!;
            chosen.Add(chair.Name);
            last = chair.Name;
        }

        // chair-csc (children's social care) is the receiving party and the local authority: never chosen.
        Assert.Equal(
        [
            "agencies/education/professionals/chair-education", "agencies/health/professionals/chair-health",
            "agencies/education/professionals/chair-education", "agencies/health/professionals/chair-health",
        ], chosen);
    }

    [Fact]
    public void An_unavailable_chair_is_skipped_until_their_unavailability_ends()
    {
        var directory = Directory(people => people.Select(p => p.Name.EndsWith("/chair-education")
            ? Person("education", "chair-education", 3, unavailableUntil: Now.AddDays(3), roles: "independent_chair")
            : p));

        Assert.EndsWith("/chair-health", IndependentChairs.Choose(Facts(), directory, null, Now)!.Name);
        Assert.EndsWith("/chair-education", IndependentChairs.Choose(Facts(), directory, null, Now.AddDays(3))!.Name);
    }

    [Fact]
    public void The_childs_local_authority_is_involved_even_when_it_is_not_a_party()
    {
        var facts = Facts(localAuthority: "education");
        facts.ReceivingParty.AgencyId = "health";

        Assert.EndsWith("/chair-csc", IndependentChairs.Choose(facts, Directory(), null, Now)!.Name);
    }

    [Fact]
    public void No_eligible_chair_is_null()
    {
        var directory = Directory(people => people.Where(p => !p.Name.EndsWith("/chair-education") && !p.Name.EndsWith("/chair-health")));

        Assert.Null(IndependentChairs.Choose(Facts(), directory, null, Now));
    }

    [Theory]
    [InlineData("childrens-social-care", "chair-csc", "CHAIR_AGENCY_INVOLVED")]
    [InlineData("police", "sgt-12", "NOT_IN_CHAIR_POOL")]
    [InlineData("health", "nobody", "NOT_IN_DIRECTORY")]
    public void A_named_chair_from_an_involved_agency_or_outside_the_pool_is_refused(string agency, string id, string type)
    {
        var directory = Directory();

        var refusal = IndependentChairs.CheckNamed(directory.Find(agency, id), Facts(), directory, Now);

        Assert.Equal(type, refusal?.Type);
    }

    [Fact]
    public void A_named_chair_from_an_agency_not_involved_is_accepted()
    {
        var directory = Directory();

        Assert.Null(IndependentChairs.CheckNamed(directory.Find("health", "chair-health"), Facts(), directory, Now));
    }
}
