using Disputes.WorkingDays;
using Disputes.Escalation.Domain;
using static Disputes.UnitTests.EscalationDirectoryFixtures;

namespace Disputes.UnitTests;

public class EscalationTimersTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 23, 10, 0, 1, TimeSpan.Zero);
    private readonly EscalationTimers _timers = new(WorkingDayCalendar.EnglandAndWales);

    [Fact]
    public void Stage_one_sets_a_reminder_and_a_timer_for_the_acknowledgement_and_the_stage()
    {
        var escalation = new EscalationLifecycle(WorkingDayCalendar.EnglandAndWales).Open(TestEvents.Raised(), TimescalePolicies.Default, Directory(), Now).Escalation;

        var timers = _timers.Pending(escalation, TimescalePolicies.Default).ToDictionary(t => t.Kind);

        Assert.Equal(["acknowledgement", "acknowledgement-reminder", "stage", "stage-reminder"], timers.Keys.Order());
        // Acknowledgement due at the end of Tuesday 24 November; reminded at its start.
        Assert.Equal(new DateTimeOffset(2026, 11, 24, 0, 0, 0, TimeSpan.Zero), timers["acknowledgement-reminder"].FireTime);
        Assert.Equal(new DateTimeOffset(2026, 11, 25, 0, 0, 0, TimeSpan.Zero), timers["acknowledgement"].FireTime);
        // Stage due at the end of Monday 30 November; reminded at its start.
        Assert.Equal(new DateTimeOffset(2026, 11, 30, 0, 0, 0, TimeSpan.Zero), timers["stage-reminder"].FireTime);
    }

    [Fact]
    public void A_reminder_before_a_due_time_after_a_weekend_falls_on_the_last_working_day()
    {
        // Due at the start of Tuesday 1 December 2026 (the end of Monday): one working day before is Monday's start;
        // two working days before skips the weekend to Friday 27 November.
        var due = new DateTimeOffset(2026, 12, 1, 0, 0, 0, TimeSpan.Zero);

        Assert.Equal(new DateTimeOffset(2026, 11, 30, 0, 0, 0, TimeSpan.Zero), _timers.ReminderTime(due, 1));
        Assert.Equal(new DateTimeOffset(2026, 11, 27, 0, 0, 0, TimeSpan.Zero), _timers.ReminderTime(due, 2));
    }

    [Fact]
    public void A_timers_event_id_is_the_same_on_every_replica_and_differs_between_timers()
    {
        var id = EscalationTimers.IdOf("01JD0000000000000000000000", "stage", Disputes.V1.Stage.LineManagers, 0, 4);

        Assert.Equal(EscalationTimers.EventIdOf(id), EscalationTimers.EventIdOf(id));
        Assert.NotEqual(EscalationTimers.EventIdOf(id), EscalationTimers.EventIdOf(id.Replace("|4", "|5")));
        Assert.Equal("01JD0000000000000000000000", EscalationTimers.ChallengeIdOfTimer(id));
    }
}
