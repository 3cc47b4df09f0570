using Disputes.WorkingDays;
using Disputes.Escalation.Domain;
using Disputes.V1;
using Disputes.V1.Events;
using Google.Protobuf.WellKnownTypes;
using static Disputes.UnitTests.EscalationDirectoryFixtures;

namespace Disputes.UnitTests;

public class EscalationLifecycleTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 23, 10, 0, 1, TimeSpan.Zero);
    private readonly EscalationLifecycle _lifecycle = new(WorkingDayCalendar.EnglandAndWales);
    private readonly EscalationTimers _timers = new(WorkingDayCalendar.EnglandAndWales);

    private static ChallengeRaised LookedAfter()
    {
        var raised = TestEvents.Raised(lookedAfter: true);
        raised.Child.LocalAuthorityId = "childrens-social-care";
        return raised;
    }

    private static ChallengeEscalated Escalated(Stage to, int tier, long version, DateTimeOffset at) => new()
    {
        Challenge = "challenges/01JD0000000000000000000000", Version = version, OccurTime = Timestamp.FromDateTimeOffset(at),
        FromStage = to - 1, ToStage = to, ManagementTier = tier,
    };

    [Fact]
    public void Stage_one_is_due_five_working_days_after_the_raise_and_acknowledgement_one()
    {
        // Monday 23 November 2026, 10:00.
        var escalation = _lifecycle.Open(TestEvents.Raised(), TimescalePolicies.Default, Directory(), Now).Escalation;

        Assert.Equal("challenges/01JD0000000000000000000000/escalation", escalation.Name);
        Assert.Equal(Stage.ProfessionalDiscussion, escalation.Stage);
        Assert.Equal("timescalePolicies/default@1", escalation.Policy);
        Assert.Equal(new DateTimeOffset(2026, 11, 25, 0, 0, 0, TimeSpan.Zero), escalation.AcknowledgementDueTime.ToDateTimeOffset());
        Assert.Equal(new DateTimeOffset(2026, 12, 1, 0, 0, 0, TimeSpan.Zero), escalation.StageDueTime.ToDateTimeOffset());
        Assert.False(escalation.IroNotificationRequired);
        Assert.Null(escalation.OverallDueTime);
        Assert.Equal(1, escalation.Version);
        Assert.Equal("\"1\"", escalation.Etag);
    }

    [Fact]
    public void An_acknowledgement_of_zero_working_days_is_due_at_the_raise_and_its_timer_is_due_at_once()
    {
        var policy = TimescalePolicies.Default.Clone();
        policy.AcknowledgementWorkingDays = 0;
        Assert.Empty(TimescalePolicies.Validate(policy));

        var escalation = _lifecycle.Open(TestEvents.Raised(), policy, Directory(), Now).Escalation;

        var raisedAt = new DateTimeOffset(2026, 11, 23, 10, 0, 0, TimeSpan.Zero);
        Assert.Equal(raisedAt, escalation.AcknowledgementDueTime.ToDateTimeOffset());
        var acknowledgement = Assert.Single(_timers.Pending(escalation, policy), t => t.Kind == Timescales.Acknowledgement);
        Assert.Equal(raisedAt, acknowledgement.FireTime);
        // Its reminder would fall before the raise: none is set.
        Assert.DoesNotContain(_timers.Pending(escalation, policy), t => t.Kind == Timescales.Acknowledgement + EscalationTimers.ReminderSuffix);

        policy.AcknowledgementWorkingDays = -1;
        Assert.Contains(TimescalePolicies.Validate(policy), v => v.Field == "policy.acknowledgement_working_days");
    }

    [Theory]
    [InlineData(true, false)]
    [InlineData(false, true)]
    public void A_child_on_a_plan_or_looked_after_brings_in_the_IRO_and_the_overall_timescale(bool onPlan, bool lookedAfter)
    {
        var escalation = _lifecycle.Open(TestEvents.Raised(onChildProtectionPlan: onPlan, lookedAfter: lookedAfter), TimescalePolicies.Default, Directory(), Now).Escalation;

        Assert.True(escalation.IroNotificationRequired);
        // 20 working days from Monday 23 November 2026, over Christmas.
        Assert.Equal(new DateTimeOffset(2026, 12, 22, 0, 0, 0, TimeSpan.Zero), escalation.OverallDueTime.ToDateTimeOffset());
    }

    [Fact]
    public void The_raise_is_routed_to_the_referrer_and_the_receiving_professional()
    {
        var change = _lifecycle.Open(TestEvents.Raised(), TimescalePolicies.Default, Directory(), Now);

        Assert.Equal([Responsibility.Referrer, Responsibility.ReceivingProfessional], change.Escalation.ResponsibleParties.Select(p => p.Responsibility));
        var routed = Assert.IsType<ResponsiblePartiesRouted>(Assert.Single(change.Events));
        Assert.Equal(Stage.ProfessionalDiscussion, routed.Stage);
        Assert.Equal(1, routed.ChallengeVersion);
        Assert.Equal(change.Escalation.ResponsibleParties, routed.ResponsibleParties);
    }

    [Fact]
    public void Escalating_to_stage_two_routes_both_line_managers_and_the_IRO_with_new_due_times_and_timers()
    {
        var opened = _lifecycle.Open(LookedAfter(), TimescalePolicies.Default, Directory(), Now).Escalation;
        var at = new DateTimeOffset(2026, 11, 26, 9, 0, 0, TimeSpan.Zero);

        var change = _lifecycle.Escalate(opened, DisputeFacts.From(LookedAfter()), TimescalePolicies.Default, Directory(), Escalated(Stage.LineManagers, 0, 4, at), at);

        var escalation = change.Escalation;
        Assert.Equal(Stage.LineManagers, escalation.Stage);
        Assert.Equal(4, escalation.ChallengeVersion);
        Assert.Equal(new DateTimeOffset(2026, 12, 4, 0, 0, 0, TimeSpan.Zero), escalation.StageDueTime.ToDateTimeOffset());
        Assert.Equal(
            [Responsibility.Referrer, Responsibility.RaisingLineManager, Responsibility.ReceivingLineManager,
             Responsibility.IndependentReviewingOfficer, Responsibility.IndependentReviewingOfficer],
            escalation.ResponsibleParties.Select(p => p.Responsibility));
        var routed = Assert.IsType<ResponsiblePartiesRouted>(Assert.Single(change.Events));
        Assert.True(routed.IndependentReviewingOfficerRequired);
        Assert.Equal(escalation.Version, routed.Version);

        var timers = _timers.Pending(escalation, TimescalePolicies.Default);
        Assert.DoesNotContain(timers, t => t.Timescale == Timescales.Acknowledgement);
        Assert.Contains(timers, t => t.Kind == "stage" && t.Id == "01JD0000000000000000000000|stage|2|0|4");
        Assert.Contains(timers, t => t.Kind == "overall");
    }

    [Fact]
    public void Stage_four_without_an_eligible_chair_is_a_routing_gap()
    {
        var directory = Directory(people => people.Where(p => !p.Roles.Contains("independent_chair")));
        var opened = _lifecycle.Open(LookedAfter(), TimescalePolicies.Default, directory, Now).Escalation;

        var change = _lifecycle.Escalate(opened, DisputeFacts.From(LookedAfter()), TimescalePolicies.Default, directory,
            Escalated(Stage.SafeguardingPartnership, 0, 9, Now), Now);

        var gap = Assert.Single(change.Events.OfType<RoutingGapFound>());
        Assert.Equal(Responsibility.IndependentChair, gap.Responsibility);
    }

    [Fact]
    public void Closing_keeps_the_stage_and_cancels_every_timer()
    {
        var opened = _lifecycle.Open(LookedAfter(), TimescalePolicies.Default, Directory(), Now).Escalation;
        Assert.NotEmpty(_timers.Pending(opened, TimescalePolicies.Default));

        var closed = _lifecycle.Close(opened, EscalationHistory.Resolved, 3, Timestamp.FromDateTimeOffset(Now)).Escalation;

        Assert.Equal(Stage.ProfessionalDiscussion, closed.Stage);
        Assert.NotNull(closed.CloseTime);
        Assert.Empty(_timers.Pending(closed, TimescalePolicies.Default));
        Assert.Equal(EscalationHistory.Resolved, closed.History[^1].Change);
    }

    [Fact]
    public void Acknowledging_cancels_the_acknowledgement_timers_only()
    {
        var opened = _lifecycle.Open(TestEvents.Raised(), TimescalePolicies.Default, Directory(), Now).Escalation;

        var acknowledged = _lifecycle.Note(opened, EscalationHistory.Acknowledged, 2, Timestamp.FromDateTimeOffset(Now)).Escalation;

        Assert.Contains(_timers.Pending(opened, TimescalePolicies.Default), t => t.Timescale == Timescales.Acknowledgement);
        var pending = _timers.Pending(acknowledged, TimescalePolicies.Default);
        Assert.DoesNotContain(pending, t => t.Timescale == Timescales.Acknowledgement);
        Assert.Contains(pending, t => t.Kind == "stage");
    }

    [Fact]
    public void A_missed_acknowledgement_is_recorded_marked_overdue_and_alerted_to_the_receiving_line_manager()
    {
        var opened = _lifecycle.Open(TestEvents.Raised(), TimescalePolicies.Default, Directory(), Now).Escalation;
        var timer = _timers.Pending(opened, TimescalePolicies.Default).Single(t => t.Kind == "acknowledgement");
        var late = timer.FireTime.AddHours(30);

        var change = _lifecycle.Fire(opened, DisputeFacts.From(TestEvents.Raised()), Directory(), timer, late);

        Assert.True(change.Escalation.Overdue);
        var breach = Assert.Single(change.Escalation.Breaches);
        Assert.Equal(timer.DueTime, breach.DueTime.ToDateTimeOffset());
        Assert.Equal(late, breach.MissedTime.ToDateTimeOffset());
        var missed = Assert.IsType<TimescaleMissed>(Assert.Single(change.Events));
        Assert.Equal(timer.Id, missed.TimerId);
        Assert.Equal("acknowledgement", missed.Timescale);
        Assert.Equal("tm-2", Assert.Single(missed.NextTier).Party.ProfessionalId);
        Assert.Contains(missed.ResponsibleParties, p => p.Responsibility == Responsibility.ReceivingProfessional);
        // Fired once: not set again.
        Assert.DoesNotContain(_timers.Pending(change.Escalation, TimescalePolicies.Default), t => t.Id == timer.Id);
    }

    [Fact]
    public void A_reminder_is_recorded_and_published_with_the_responsible_parties()
    {
        var opened = _lifecycle.Open(TestEvents.Raised(), TimescalePolicies.Default, Directory(), Now).Escalation;
        var reminder = _timers.Pending(opened, TimescalePolicies.Default).Single(t => t.Kind == "stage-reminder");

        var change = _lifecycle.Fire(opened, DisputeFacts.From(TestEvents.Raised()), Directory(), reminder, reminder.FireTime);

        Assert.False(change.Escalation.Overdue);
        Assert.Single(change.Escalation.RemindersSent);
        var due = Assert.IsType<TimescaleReminderDue>(Assert.Single(change.Events));
        Assert.Equal(2, due.ResponsibleParties.Count);
        Assert.DoesNotContain(_timers.Pending(change.Escalation, TimescalePolicies.Default), t => t.Id == reminder.Id);
    }

    [Fact]
    public void A_policy_with_automatic_escalation_sets_a_timer_that_publishes_AutoEscalationDue_for_the_stage_and_version()
    {
        var policy = TimescalePolicies.Default.Clone();
        policy.AutoEscalate = true;
        policy.AutoEscalateAfterWorkingDays = 2;
        var opened = _lifecycle.Open(TestEvents.Raised(), policy, Directory(), Now).Escalation;

        // Stage 1 due at the start of Tuesday 1 December; two working days overdue: the start of Thursday 3 December.
        Assert.Equal(new DateTimeOffset(2026, 12, 3, 0, 0, 0, TimeSpan.Zero), opened.AutoEscalationDueTime.ToDateTimeOffset());
        var timer = _timers.Pending(opened, policy).Single(t => t.IsAutoEscalation);

        var change = _lifecycle.Fire(opened, DisputeFacts.From(TestEvents.Raised()), Directory(), timer, timer.FireTime);

        var due = Assert.IsType<AutoEscalationDue>(Assert.Single(change.Events));
        Assert.Equal(Stage.ProfessionalDiscussion, due.Stage);
        Assert.Equal(1, due.ChallengeVersion);
        Assert.Equal(timer.Id, due.TimerId);
        Assert.DoesNotContain(_timers.Pending(change.Escalation, policy), t => t.IsAutoEscalation);
    }

    [Fact]
    public void Appointing_a_chair_adds_them_to_the_responsible_parties_and_publishes_the_appointment()
    {
        var opened = _lifecycle.Open(TestEvents.Raised(), TimescalePolicies.Default, Directory(), Now).Escalation;
        var chair = Directory().Find("health", "chair-health")!;

        var change = _lifecycle.AppointChair(opened, chair, new Party { AgencyId = "safeguarding-partnership", ProfessionalId = "scp-1" }, Now);

        Assert.Equal("chair-health", change.Escalation.IndependentChair.ProfessionalId);
        Assert.Equal(Responsibility.IndependentChair, change.Escalation.ResponsibleParties[^1].Responsibility);
        var appointed = Assert.IsType<IndependentChairAppointed>(Assert.Single(change.Events));
        Assert.Equal("health", appointed.Chair.AgencyId);
        Assert.Equal("scp-1", appointed.AppointedBy.ProfessionalId);
    }

    [Fact]
    public void Events_without_a_time_or_parties_are_routed_with_the_clock_never_a_crash()
    {
        var raised = TestEvents.Raised();
        raised.OccurTime = null;
        raised.RaisingParty = null;
        raised.Child = null;

        var opened = _lifecycle.Open(raised, TimescalePolicies.Default, Directory(), Now);
        var escalated = Escalated(Stage.SeniorManagers, 0, 3, Now);
        escalated.OccurTime = null;
        var moved = _lifecycle.Escalate(opened.Escalation, DisputeFacts.From(raised), TimescalePolicies.Default, Directory(), escalated, Now);

        Assert.Equal(Now, opened.Escalation.History[0].OccurTime.ToDateTimeOffset());
        // Stage 3 starts at tier 1.
        Assert.Equal(1, moved.Escalation.ManagementTier);
        Assert.NotEmpty(moved.Events.OfType<RoutingGapFound>());
    }
}
