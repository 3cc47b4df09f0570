using Disputes.WorkingDays;
using System.Security.Cryptography;
using System.Text;
using Disputes.V1;
using Google.Protobuf.WellKnownTypes;
using NodaTime;

namespace Disputes.Escalation.Domain;

/// <summary>A durable timer: fires at <see cref="FireTime"/> unless cancelled by a stage change or closure.</summary>
public sealed record EscalationTimer(string Id, string ChallengeId, string Kind, string Timescale, DateTimeOffset FireTime, DateTimeOffset DueTime)
{
    public bool IsReminder => Kind.EndsWith(EscalationTimers.ReminderSuffix, StringComparison.Ordinal);

    public bool IsAutoEscalation => Kind == EscalationTimers.AutoEscalation;
}

/// <summary>
/// The timers an escalation needs now, from the policy it was raised under: a reminder before and
/// a timer at each due time (acknowledgement, stage, overall), and the automatic escalation when
/// the policy asks for it. Timers already fired (recorded as a reminder, breach or automatic
/// escalation) are not set again. A timer's id names the challenge, the kind, the stage and tier
/// and the challenge version the stage began at, so a moved timer is a new timer and the event of
/// one firing has one id.
/// </summary>
public sealed class EscalationTimers(WorkingDayCalendar calendar)
{
    public const string ReminderSuffix = "-reminder";
    public const string AutoEscalation = "auto-escalation";

    public IReadOnlyList<EscalationTimer> Pending(V1.Escalation escalation, TimescalePolicy policy)
    {
        if (escalation.CloseTime is not null)
            return [];
        var challengeId = ChallengeIdOf(escalation);
        var stageVersion = EscalationHistory.StageVersion(escalation);
        var timers = new List<EscalationTimer>();

        void Add(string timescale, Timestamp? due, Stage stage, int tier, long version)
        {
            if (due is null)
                return;
            var dueTime = due.ToDateTimeOffset();
            if (policy.ReminderWorkingDays > 0 && !EscalationHistory.Reminded(escalation, timescale, stage, tier, dueTime))
            {
                var remindAt = ReminderTime(dueTime, policy.ReminderWorkingDays);
                var startedAt = EscalationHistory.StageStart(escalation)?.ToDateTimeOffset() ?? DateTimeOffset.MinValue;
                if (remindAt > startedAt || timescale == Timescales.Overall)
                    timers.Add(new EscalationTimer(IdOf(challengeId, timescale + ReminderSuffix, stage, tier, version), challengeId, timescale + ReminderSuffix, timescale, remindAt, dueTime));
            }
            if (!EscalationHistory.Breached(escalation, timescale, stage, tier, dueTime))
                timers.Add(new EscalationTimer(IdOf(challengeId, timescale, stage, tier, version), challengeId, timescale, timescale, dueTime, dueTime));
        }

        if (escalation.Stage == Stage.ProfessionalDiscussion && !EscalationHistory.WasAcknowledged(escalation))
            Add(Timescales.Acknowledgement, escalation.AcknowledgementDueTime, escalation.Stage, escalation.ManagementTier, stageVersion);
        Add(Timescales.Stage, escalation.StageDueTime, escalation.Stage, escalation.ManagementTier, stageVersion);
        Add(Timescales.Overall, escalation.OverallDueTime, Stage.Unspecified, 0, 0);
        if (escalation.AutoEscalationDueTime is { } auto && !EscalationHistory.AutoEscalationDue(escalation, escalation.Stage, escalation.ManagementTier))
            timers.Add(new EscalationTimer(IdOf(challengeId, AutoEscalation, escalation.Stage, escalation.ManagementTier, stageVersion),
                challengeId, AutoEscalation, Timescales.Stage, auto.ToDateTimeOffset(), escalation.StageDueTime.ToDateTimeOffset()));
        return timers;
    }

    /// <summary>The start of the working day <paramref name="workingDays"/> working days before the due time.</summary>
    public DateTimeOffset ReminderTime(DateTimeOffset due, int workingDays)
    {
        // Due times fall at the start of the day after the last working day.
        var date = Instant.FromDateTimeOffset(due).InZone(calendar.Zone).Date;
        for (var counted = 0; counted < workingDays;)
        {
            date = date.PlusDays(-1);
            if (calendar.IsWorkingDay(date))
                counted++;
        }
        return date.AtStartOfDayInZone(calendar.Zone).ToDateTimeOffset();
    }

    public static string IdOf(string challengeId, string kind, Stage stage, int tier, long stageVersion) =>
        $"{challengeId}|{kind}|{(int)stage}|{tier}|{stageVersion}";

    public static string ChallengeIdOfTimer(string timerId) => timerId.Split('|')[0];

    /// <summary>The CloudEvent id of a timer's firing: the same on every replica and every retry.</summary>
    public static string EventIdOf(string timerId) =>
        new Guid(SHA256.HashData(Encoding.UTF8.GetBytes("timer:" + timerId)).AsSpan(0, 16)).ToString("N");

    public static string ChallengeIdOf(V1.Escalation escalation) => escalation.Name.Split('/')[1];
}
