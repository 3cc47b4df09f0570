using Disputes.Escalation.Domain;
using Disputes.V1;

namespace Disputes.UnitTests;

public class EscalationPlannerTests
{
    private readonly EscalationPlanner _planner = new(WorkingDayCalendar.EnglandAndWales);

    [Fact]
    public void Stage_one_is_due_five_working_days_after_the_raise_and_acknowledgement_one()
    {
        // Monday 23 November 2026, 10:00.
        var escalation = _planner.Open(TestEvents.Raised(), TimescalePolicies.Default);

        Assert.Equal("challenges/01JD0000000000000000000000/escalation", escalation.Name);
        Assert.Equal(Stage.ProfessionalDiscussion, escalation.Stage);
        Assert.Equal("timescalePolicies/default@1", escalation.Policy);
        Assert.Equal(new DateTimeOffset(2026, 11, 25, 0, 0, 0, TimeSpan.Zero), escalation.AcknowledgementDueTime.ToDateTimeOffset());
        Assert.Equal(new DateTimeOffset(2026, 12, 1, 0, 0, 0, TimeSpan.Zero), escalation.StageDueTime.ToDateTimeOffset());
        Assert.False(escalation.IroNotificationRequired);
        Assert.Null(escalation.OverallDueTime);
    }

    [Theory]
    [InlineData(true, false)]
    [InlineData(false, true)]
    public void A_child_on_a_plan_or_looked_after_brings_in_the_IRO_and_the_overall_timescale(bool onPlan, bool lookedAfter)
    {
        var escalation = _planner.Open(TestEvents.Raised(onChildProtectionPlan: onPlan, lookedAfter: lookedAfter), TimescalePolicies.Default);

        Assert.True(escalation.IroNotificationRequired);
        // 20 working days from Monday 23 November 2026, over Christmas.
        Assert.Equal(new DateTimeOffset(2026, 12, 22, 0, 0, 0, TimeSpan.Zero), escalation.OverallDueTime.ToDateTimeOffset());
    }

    [Fact]
    public void The_referrer_and_the_receiving_professional_are_responsible_at_stage_one()
    {
        var escalation = _planner.Open(TestEvents.Raised(), TimescalePolicies.Default);

        Assert.Equal([Responsibility.Referrer, Responsibility.ReceivingProfessional],
            escalation.ResponsibleParties.Select(p => p.Responsibility));
        Assert.Equal("police", escalation.ResponsibleParties[0].Party.AgencyId);
    }
}
