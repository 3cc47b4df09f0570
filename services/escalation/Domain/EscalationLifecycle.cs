using Disputes.WorkingDays;
using Disputes.ServiceDefaults.Grpc;
using Disputes.V1;
using Disputes.V1.Events;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using NodaTime;

namespace Disputes.Escalation.Domain;

/// <summary>An escalation after a change, and the events that tell the other services.</summary>
public sealed record EscalationChange(V1.Escalation Escalation, IReadOnlyList<IMessage> Events);

/// <summary>
/// How an escalation follows its challenge: opened at stage 1, routed again at every stage or
/// tier change, closed (timers cancelled) when the challenge ends, and what a timer's firing
/// records and publishes. Pure: the caller loads and stores.
/// </summary>
public sealed class EscalationLifecycle(WorkingDayCalendar calendar)
{
    /// <summary>Stage 1 begins: the receiving side must acknowledge, then the two professionals discuss.</summary>
    public EscalationChange Open(ChallengeRaised raised, TimescalePolicy policy, PartnershipDirectory directory, DateTimeOffset now)
    {
        var facts = DisputeFacts.From(raised);
        var start = raised.OccurTime ?? Timestamp.FromDateTimeOffset(now);
        var escalation = new V1.Escalation
        {
            Name = $"{raised.Challenge}/escalation",
            Policy = TimescalePolicies.VersionName(policy),
            // 0 working days: acknowledgement is due at the raise (the receiving line manager is alerted at once).
            AcknowledgementDueTime = policy.AcknowledgementWorkingDays == 0 ? start.Clone() : Due(start, policy.AcknowledgementWorkingDays),
            IroNotificationRequired = DisputeFacts.IroRequired(facts),
            ChallengeVersion = raised.Version,
        };
        if (escalation.IroNotificationRequired && policy.IroTotalWorkingDays > 0)
            escalation.OverallDueTime = Due(start, policy.IroTotalWorkingDays);
        Record(escalation, EscalationHistory.Raised, Stage.ProfessionalDiscussion, 0, raised.Version, start);
        return EnterStage(escalation, facts, policy, directory, Stage.ProfessionalDiscussion, 0, raised.Version, start, now);
    }

    /// <summary>The challenge moved to a new stage or tier: new due times, new responsible parties, routed.</summary>
    public EscalationChange Escalate(V1.Escalation current, ChallengeRaised facts, TimescalePolicy policy, PartnershipDirectory directory,
        ChallengeEscalated escalated, DateTimeOffset now)
    {
        var escalation = current.Clone();
        escalation.ChallengeVersion = escalated.Version;
        escalation.Overdue = false;
        var at = escalated.OccurTime ?? Timestamp.FromDateTimeOffset(now);
        var tier = escalated.ToStage == Stage.SeniorManagers ? Math.Max(1, escalated.ManagementTier) : 0;
        Record(escalation, EscalationHistory.Escalated, escalated.ToStage, tier, escalated.Version, at, automatic: escalated.Automatic);
        return EnterStage(escalation, facts, policy, directory, escalated.ToStage, tier, escalated.Version, at, now);
    }

    /// <summary>A change within the stage (acknowledged, discussion, justified review): recorded, nothing routed.</summary>
    public EscalationChange Note(V1.Escalation current, string change, long challengeVersion, Timestamp? occurTime)
    {
        var escalation = current.Clone();
        // Late arrivals are recorded, but never move the version back.
        escalation.ChallengeVersion = Math.Max(escalation.ChallengeVersion, challengeVersion);
        Record(escalation, change, escalation.Stage, escalation.ManagementTier, challengeVersion, occurTime);
        return Bump(escalation, occurTime ?? escalation.UpdateTime, []);
    }

    /// <summary>The challenge ended (resolved, closed, withdrawn): it stays at the stage where it closed, its timers cancelled.</summary>
    public EscalationChange Close(V1.Escalation current, string change, long challengeVersion, Timestamp? occurTime)
    {
        var escalation = current.Clone();
        escalation.ChallengeVersion = challengeVersion;
        escalation.CloseTime = occurTime ?? escalation.UpdateTime;
        escalation.Overdue = false;
        escalation.AutoEscalationDueTime = null;
        Record(escalation, change, escalation.Stage, escalation.ManagementTier, challengeVersion, escalation.CloseTime);
        return Bump(escalation, escalation.CloseTime, []);
    }

    public EscalationChange AppointChair(V1.Escalation current, Professional chair, Party appointedBy, DateTimeOffset now)
    {
        var escalation = current.Clone();
        var party = EscalationRouter.PartyOf(chair);
        escalation.IndependentChair = party;
        escalation.ResponsibleParties.Add(EscalationRouter.Responsible(party, Responsibility.IndependentChair));
        var at = Timestamp.FromDateTimeOffset(now);
        Record(escalation, EscalationHistory.ChairAppointed, escalation.Stage, escalation.ManagementTier, escalation.ChallengeVersion, at);
        var change = Bump(escalation, at, []);
        return change with
        {
            Events =
            [
                new IndependentChairAppointed
                {
                    Challenge = ChallengeName(escalation), Version = escalation.Version, OccurTime = at,
                    Chair = DisputeFacts.CopyParty(party), AppointedBy = DisputeFacts.CopyParty(appointedBy),
                },
            ],
        };
    }

    /// <summary>Nobody eligible to chair: the gap is alerted to the partnership, never dropped.</summary>
    public EscalationChange ChairGap(V1.Escalation current, string detail, DateTimeOffset now)
    {
        var escalation = current.Clone();
        var at = Timestamp.FromDateTimeOffset(now);
        var change = Bump(escalation, at, []);
        return change with { Events = [Gap(escalation, new RoutingGap(Responsibility.IndependentChair, "", detail), at)] };
    }

    /// <summary>A timer fired: a reminder, a missed timescale (marked overdue, the next tier alerted) or an automatic escalation.</summary>
    public EscalationChange Fire(V1.Escalation current, ChallengeRaised facts, PartnershipDirectory directory, EscalationTimer timer, DateTimeOffset now)
    {
        var escalation = current.Clone();
        var at = Timestamp.FromDateTimeOffset(now);
        var due = Timestamp.FromDateTimeOffset(timer.DueTime);
        var responsible = timer.Timescale == Timescales.Acknowledgement
            ? escalation.ResponsibleParties.Where(p => p.Responsibility is Responsibility.Referrer or Responsibility.ReceivingProfessional).Select(p => p.Clone()).ToArray()
            : escalation.ResponsibleParties.Select(p => p.Clone()).ToArray();
        if (timer.IsReminder)
        {
            escalation.RemindersSent.Add(new TimescaleReminder
            {
                Timescale = timer.Timescale, Stage = escalation.Stage, ManagementTier = escalation.ManagementTier, DueTime = due, SendTime = at,
            });
            Bump(escalation, at, []);
            return new EscalationChange(escalation,
            [
                new TimescaleReminderDue
                {
                    Challenge = ChallengeName(escalation), Version = escalation.Version, OccurTime = at, Stage = escalation.Stage,
                    Timescale = timer.Timescale, DueTime = due, ManagementTier = escalation.ManagementTier,
                    ResponsibleParties = { responsible }, TimerId = timer.Id,
                },
            ]);
        }
        if (timer.IsAutoEscalation)
        {
            Record(escalation, EscalationHistory.AutoEscalationDueChange, escalation.Stage, escalation.ManagementTier, escalation.ChallengeVersion, at, automatic: true);
            Bump(escalation, at, []);
            return new EscalationChange(escalation,
            [
                new AutoEscalationDue
                {
                    Challenge = ChallengeName(escalation), Version = escalation.Version, OccurTime = at, Stage = escalation.Stage,
                    ManagementTier = escalation.ManagementTier, ChallengeVersion = escalation.ChallengeVersion, TimerId = timer.Id,
                },
            ]);
        }
        escalation.Breaches.Add(new TimescaleBreach
        {
            Timescale = timer.Timescale, Stage = escalation.Stage, ManagementTier = escalation.ManagementTier, DueTime = due, MissedTime = at,
        });
        escalation.Overdue = true;
        Bump(escalation, at, []);
        var next = EscalationRouter.NextTier(facts, escalation.Stage, escalation.ManagementTier, timer.Timescale, directory);
        return new EscalationChange(escalation,
        [
            new TimescaleMissed
            {
                Challenge = ChallengeName(escalation), Version = escalation.Version, OccurTime = at, Stage = escalation.Stage,
                Timescale = timer.Timescale, DueTime = due, ManagementTier = escalation.ManagementTier,
                ResponsibleParties = { responsible }, NextTier = { next.Parties }, TimerId = timer.Id,
            },
        ]);
    }

    private EscalationChange EnterStage(V1.Escalation escalation, ChallengeRaised facts, TimescalePolicy policy, PartnershipDirectory directory,
        Stage stage, int tier, long challengeVersion, Timestamp stageStart, DateTimeOffset now)
    {
        escalation.Stage = stage;
        escalation.ManagementTier = stage == Stage.SeniorManagers ? tier : 0;
        escalation.StageDueTime = Due(stageStart, TimescalePolicies.WorkingDaysFor(policy, stage));
        escalation.AutoEscalationDueTime = policy.AutoEscalate && stage < Stage.SafeguardingPartnership
            ? Due(escalation.StageDueTime, Math.Max(0, policy.AutoEscalateAfterWorkingDays), fromDueTime: true)
            : null;
        var routing = EscalationRouter.Route(facts, stage, escalation.ManagementTier, escalation.IndependentChair, directory);
        escalation.ResponsibleParties.Clear();
        escalation.ResponsibleParties.Add(routing.Parties);
        var at = Timestamp.FromDateTimeOffset(now);
        Bump(escalation, at, []);

        var events = new List<IMessage>
        {
            new ResponsiblePartiesRouted
            {
                Challenge = ChallengeName(escalation), Version = escalation.Version, OccurTime = at, ChallengeVersion = challengeVersion,
                Stage = escalation.Stage, ManagementTier = escalation.ManagementTier,
                ResponsibleParties = { routing.Parties.Select(p => p.Clone()) },
                IndependentReviewingOfficerRequired = escalation.IroNotificationRequired,
            },
        };
        events.AddRange(routing.Gaps.Select(gap => Gap(escalation, gap, at)));
        if (stage == Stage.SafeguardingPartnership && escalation.IndependentChair is null
            && IndependentChairs.Choose(facts, directory, null, now) is null)
            events.Add(Gap(escalation, new RoutingGap(Responsibility.IndependentChair, "",
                "no available independent chair from an agency not involved"), at));
        return new EscalationChange(escalation, events);
    }

    private static RoutingGapFound Gap(V1.Escalation escalation, RoutingGap gap, Timestamp at) => new()
    {
        Challenge = ChallengeName(escalation), Version = escalation.Version, OccurTime = at, ChallengeVersion = escalation.ChallengeVersion,
        Stage = escalation.Stage, ManagementTier = escalation.ManagementTier, Responsibility = gap.Responsibility,
        AgencyId = gap.AgencyId, Detail = gap.Detail,
    };

    private static EscalationChange Bump(V1.Escalation escalation, Timestamp at, IReadOnlyList<IMessage> events)
    {
        escalation.Version++;
        escalation.Etag = Etags.Of(escalation.Version);
        escalation.UpdateTime = at;
        return new EscalationChange(escalation, events);
    }

    private static void Record(V1.Escalation escalation, string change, Stage stage, int tier, long challengeVersion, Timestamp? occurTime, bool automatic = false) =>
        escalation.History.Add(new EscalationHistoryEntry
        {
            Change = change, Stage = stage, ManagementTier = tier, ChallengeVersion = challengeVersion, OccurTime = occurTime, Automatic = automatic,
        });

    private static string ChallengeName(V1.Escalation escalation) => escalation.Name[..escalation.Name.LastIndexOf('/')];

    private Timestamp Due(Timestamp start, int workingDays, bool fromDueTime = false)
    {
        // A due time is the start of the next day: count from the last instant of the due day.
        var from = Instant.FromDateTimeOffset(start.ToDateTimeOffset());
        if (fromDueTime)
            from = from.Minus(NodaTime.Duration.FromTicks(1));
        return Timestamp.FromDateTimeOffset(calendar.DueAfter(from, workingDays).ToDateTimeOffset());
    }
}
