using Disputes.Challenge.Domain;
using Disputes.Procedure;
using Disputes.ServiceDefaults.Identity;
using Disputes.V1;
using Disputes.V1.Events;

namespace Disputes.UnitTests;

public class ChallengeAggregateTests
{
    public static readonly DateTimeOffset Now = new(2026, 11, 23, 10, 0, 0, TimeSpan.Zero);
    private static readonly Party Officer = new() { AgencyId = "police", ProfessionalId = "pc-101" };
    private static readonly Party SocialWorker = new() { AgencyId = "childrens-social-care", ProfessionalId = "sw-7" };

    public static ChallengeAggregate Raised(bool lookedAfter = false)
    {
        var request = RaiseChallengeRulesTests.ValidRequest();
        request.Challenge.Child.LookedAfter = lookedAfter;
        request.Challenge.Child.OnChildProtectionPlan = lookedAfter;
        request.Challenge.Child.IroProfessionalId = "iro-3";
        return ChallengeAggregate.Raise(request, new Caller("pc-101", "police", new HashSet<string> { DisputeRoles.Practitioner }),
            "01JD0000000000000000000000", Now, "trace-raise").Challenge;
    }

    [Fact]
    public void Each_command_bumps_the_version_and_its_one_event_carries_it()
    {
        var raised = Raised();
        var acknowledged = raised.Acknowledge(SocialWorker, "seen", Now, "t1");
        var discussed = acknowledged.Challenge.RecordDiscussion(Officer,
            new Discussion { Mode = DiscussionMode.Telephone, Summary = "We spoke.", Attendees = { Officer, SocialWorker } }, Now, "t2");
        var escalated = discussed.Challenge.Escalate(Officer, "no agreement", Stage.Unspecified, false, Now, "t3");

        Assert.Equal(2, acknowledged.Challenge.Version);
        Assert.Equal(2, ((ChallengeAcknowledged)acknowledged.Event).Version);
        Assert.Equal(3, ((DiscussionRecorded)discussed.Event).Version);
        var @event = (ChallengeEscalated)escalated.Event;
        Assert.Equal((4, Stage.ProfessionalDiscussion, Stage.LineManagers, false), (@event.Version, @event.FromStage, @event.ToStage, @event.Automatic));
        Assert.Equal("\"4\"", escalated.Challenge.Etag);
        Assert.Equal(1, raised.Version);
    }

    [Fact]
    public void History_gains_an_entry_on_each_stage_or_state_change_and_none_for_a_discussion()
    {
        var acknowledged = Raised().Acknowledge(SocialWorker, "", Now, "t1").Challenge;
        var discussed = acknowledged.RecordDiscussion(Officer, new Discussion { Mode = DiscussionMode.Video, Summary = "s" }, Now, "t2").Challenge;
        var escalated = discussed.Escalate(Officer, "", Stage.Unspecified, false, Now, "t3").Challenge;

        var history = escalated.ToMessage().History;
        Assert.Equal(["raise", "acknowledge", "escalate"], history.Select(h => h.Command));
        Assert.Equal([1L, 2L, 4L], history.Select(h => h.Version));
        Assert.Equal("t3", history[^1].TraceId);
        Assert.Equal(Stage.LineManagers, history[^1].Stage);
        var discussion = Assert.Single(escalated.ToMessage().Discussions);
        Assert.Equal(Stage.ProfessionalDiscussion, discussion.Stage);
        Assert.Equal(Officer, discussion.RecordedBy);
    }

    [Fact]
    public void Automatic_escalation_acts_only_if_stage_tier_and_version_still_match()
    {
        var raised = Raised();

        Assert.Null(raised.AutoEscalate(Stage.ProfessionalDiscussion, 0, version: 2, "timer-1", Now, "t"));
        Assert.Null(raised.AutoEscalate(Stage.LineManagers, 0, version: 1, "timer-1", Now, "t"));
        var change = raised.AutoEscalate(Stage.ProfessionalDiscussion, 0, version: 1, "timer-1", Now, "t");

        var @event = Assert.IsType<ChallengeEscalated>(change!.Event);
        Assert.True(@event.Automatic);
        Assert.Null(@event.Actor);
        Assert.Equal("timer-1", @event.AutoEscalationTimerId);
        Assert.Equal("auto-escalate", change.Challenge.ToMessage().History[^1].Command);
    }

    [Fact]
    public void A_resolved_challenge_keeps_its_resolution()
    {
        var resolution = new Resolution { Kind = ResolutionKind.AlternativeDecisionAccepted, Summary = "The reasons were explained." };

        var resolved = Raised().Resolve(Officer, resolution, Now, "t");

        Assert.Equal(ChallengeState.Resolved, resolved.Challenge.Position.State);
        Assert.Equal(resolution, resolved.Challenge.ToMessage().Resolution);
        Assert.Equal(resolution, ((ChallengeResolved)resolved.Event).Resolution);
    }

    [Fact]
    public void Overdue_holds_until_the_stage_changes()
    {
        var raised = Raised();
        var overdue = new ChallengeAggregate(raised.ToMessage(), ChallengeAggregate.MarkerOf(Stage.ProfessionalDiscussion, 0));
        var escalated = overdue.Escalate(Officer, "", Stage.Unspecified, false, Now, "t").Challenge;

        Assert.True(overdue.IsOverdue);
        Assert.False(escalated.IsOverdue);
    }

    [Fact]
    public void The_appointed_chair_and_the_childs_IRO_and_local_authority_may_read()
    {
        var withChair = Raised().WithIndependentChair(new Party { AgencyId = "education", ProfessionalId = "chair-1" }, 1, Now);

        var parties = withChair.Parties;

        Assert.Equal([new AppointedProfessional("childrens-social-care", "iro-3"), new AppointedProfessional("education", "chair-1")], parties.Appointed);
        Assert.Equal("childrens-social-care", parties.LocalAuthorityId);
        Assert.Equal(1, withChair.Version);
    }
}
