using Disputes.Challenge.Domain;
using Disputes.Procedure;
using Disputes.ServiceDefaults.Identity;
using Disputes.V1;
using Google.Rpc;
using Grpc.Core;

namespace Disputes.UnitTests;

public class RaiseChallengeRulesTests
{
    private static readonly Caller Raiser = new("pc-101", "police", new HashSet<string> { DisputeRoles.Practitioner });

    public static RaiseChallengeRequest ValidRequest() => new()
    {
        RequestId = "7c1f3a52-1111-4d3c-9f7e-000000000001",
        Challenge = new Disputes.V1.Challenge
        {
            RaisingParty = new Party { Role = "police officer" },
            ReceivingParty = new Party { AgencyId = "childrens-social-care", ProfessionalId = "sw-7", Role = "social worker" },
            Child = new ChildReference { Reference = "child-ref-42", OnChildProtectionPlan = true, LocalAuthorityId = "childrens-social-care" },
            Category = Category.CaseClosure,
            Subject = "Case closed after a single visit.",
            UnsafePracticeReason = "Neglect concerns were reported again last week.",
            DesiredChange = "Re-open the case and assess.",
            ImpactOnChild = "The child remains without support.",
        },
    };

    [Fact]
    public void A_complete_challenge_is_accepted() => RaiseChallengeRules.Validate(ValidRequest());

    [Fact]
    public void Every_missing_field_is_reported_at_once()
    {
        var request = new RaiseChallengeRequest { Challenge = new Disputes.V1.Challenge() };

        var error = Assert.Throws<RpcException>(() => RaiseChallengeRules.Validate(request));

        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        var fields = error.GetRpcStatus()!.GetDetail<BadRequest>().FieldViolations.Select(v => v.Field).ToArray();
        Assert.Equal(
        [
            "challenge.raising_party.role", "challenge.receiving_party.agency_id", "challenge.child.reference", "challenge.category",
            "challenge.subject", "challenge.unsafe_practice_reason", "challenge.desired_change", "challenge.impact_on_child",
        ], fields);
    }

    [Fact]
    public void Category_other_needs_its_detail()
    {
        var request = ValidRequest();
        request.Challenge.Category = Category.Other;

        var error = Assert.Throws<RpcException>(() => RaiseChallengeRules.Validate(request));

        Assert.Equal("challenge.category_detail", Assert.Single(error.GetRpcStatus()!.GetDetail<BadRequest>().FieldViolations).Field);
    }

    [Fact]
    public void Narrative_longer_than_the_limit_is_refused()
    {
        var request = ValidRequest();
        request.Challenge.Subject = new string('x', RaiseChallengeRules.MaxNarrativeLength + 1);

        var error = Assert.Throws<RpcException>(() => RaiseChallengeRules.Validate(request));

        Assert.Equal("challenge.subject", Assert.Single(error.GetRpcStatus()!.GetDetail<BadRequest>().FieldViolations).Field);
    }

    [Theory]
    [InlineData("health", "")]
    [InlineData("", "someone-else")]
    public void Raising_for_another_agency_or_professional_is_denied(string agency, string professional)
    {
        var error = Assert.Throws<RpcException>(() =>
            RaiseChallengeRules.EnsureRaiserIsCaller(new Party { AgencyId = agency, ProfessionalId = professional }, Raiser));
        Assert.Equal(StatusCode.PermissionDenied, error.StatusCode);
    }

    [Fact]
    public void A_new_challenge_starts_at_stage_one_awaiting_acknowledgement_with_the_caller_as_referrer()
    {
        var now = new DateTimeOffset(2026, 11, 23, 10, 0, 0, TimeSpan.Zero);

        var challenge = RaiseChallengeRules.NewChallenge(ValidRequest(), Raiser, "01JD0000000000000000000000", now, "0af7651916cd43dd8448eb211c80319c");

        Assert.Equal("challenges/01JD0000000000000000000000", challenge.Name);
        Assert.Equal(Stage.ProfessionalDiscussion, challenge.Stage);
        Assert.Equal(ChallengeState.AwaitingAcknowledgement, challenge.State);
        Assert.Equal("police", challenge.RaisingParty.AgencyId);
        Assert.Equal("pc-101", challenge.RaisingParty.ProfessionalId);
        Assert.Equal(1, challenge.Version);
        Assert.Equal("\"1\"", challenge.Etag);
        Assert.Equal(now, challenge.CreateTime.ToDateTimeOffset());
        Assert.Equal("0af7651916cd43dd8448eb211c80319c", challenge.TraceId);
    }

    [Fact]
    public void Support_sees_ids_stages_and_times_but_never_the_narrative()
    {
        var challenge = RaiseChallengeRules.NewChallenge(ValidRequest(), Raiser, "01JD0000000000000000000000", DateTimeOffset.UnixEpoch, "t");

        var seen = ChallengeProjections.ForSupport(challenge);

        Assert.Equal(challenge.Name, seen.Name);
        Assert.Equal(challenge.Stage, seen.Stage);
        Assert.Equal(challenge.TraceId, seen.TraceId);
        Assert.Equal("", seen.Subject);
        Assert.Equal("", seen.UnsafePracticeReason);
        Assert.Equal("", seen.DesiredChange);
        Assert.Equal("", seen.ImpactOnChild);
        Assert.Equal("", seen.Child.Reference);
    }
}
