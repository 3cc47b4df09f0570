using Disputes.V1;
using Disputes.V1.Events;

namespace Disputes.Notification.Domain;

/// <summary>
/// Who is told what, for every event notification consumes: the one place this policy is
/// written. The referrer hears of every step of their challenge (the procedure: the outcome
/// is shared with the referrer at each stage, so they are assured it was escalated); the
/// people responsible at a new stage hear from the routing; reminders and missed timescales
/// go to whoever should act and, when missed, the next tier; routing gaps go to the
/// partnership. Messages name the challenge and the stage, never the child or the narrative;
/// the one exception is the review's reasons, which go to the referrer alone.
/// </summary>
public static class RecipientsTable
{
    public const string ChallengeReceived = "challenge-received";
    public const string ChallengeToAcknowledge = "challenge-to-acknowledge";
    public const string ChallengeAcknowledged = "challenge-acknowledged";
    public const string DiscussionRecorded = "discussion-recorded";
    public const string ReviewJustified = "review-justified";
    public const string ReviewNotJustified = "review-not-justified";
    public const string ChallengeEscalated = "challenge-escalated";
    public const string ResponsibleAtStage = "responsible-at-stage";
    public const string IroNotified = "iro-notified";
    public const string ChallengeResolved = "challenge-resolved";
    public const string ChallengeWithdrawn = "challenge-withdrawn";
    public const string ChairAppointed = "chair-appointed";
    public const string AppointedAsChair = "appointed-as-chair";
    public const string MinutesRecorded = "minutes-recorded";
    public const string MinutesToApprove = "minutes-to-approve";
    public const string TimescaleReminder = "timescale-reminder";
    public const string TimescaleMissed = "timescale-missed";
    public const string TimescaleMissedNextTier = "timescale-missed-next-tier";
    public const string RoutingGap = "routing-gap";

    /// <summary>Every notice the table sends: what a subscription may filter on.</summary>
    public static readonly IReadOnlySet<string> Notices = new HashSet<string>(StringComparer.Ordinal)
    {
        ChallengeReceived, ChallengeToAcknowledge, ChallengeAcknowledged, DiscussionRecorded, ReviewJustified,
        ReviewNotJustified, ChallengeEscalated, ResponsibleAtStage, IroNotified, ChallengeResolved, ChallengeWithdrawn,
        ChairAppointed, AppointedAsChair, MinutesRecorded, MinutesToApprove, TimescaleReminder, TimescaleMissed,
        TimescaleMissedNextTier, RoutingGap,
    };

    public static IReadOnlyList<Notice> For(ChallengeRaised raised, DisputeFacts facts) =>
    [
        new(RecipientRole.Referrer, facts.Referrer, ChallengeReceived, Stage.ProfessionalDiscussion,
            $"Your challenge {facts.ChallengeName} has been received and sent to {facts.ReceivingProfessional.AgencyId} at {StageText(Stage.ProfessionalDiscussion)}."),
        new(RecipientRole.ReceivingProfessional, facts.ReceivingProfessional, ChallengeToAcknowledge, Stage.ProfessionalDiscussion,
            $"{facts.Referrer.AgencyId} has raised challenge {facts.ChallengeName} with you at {StageText(Stage.ProfessionalDiscussion)}; please acknowledge it and arrange a discussion."),
    ];

    public static IReadOnlyList<Notice> For(Disputes.V1.Events.ChallengeAcknowledged acknowledged, DisputeFacts facts) =>
    [
        ToReferrer(facts, ChallengeAcknowledged, Stage.ProfessionalDiscussion,
            $"Your challenge {facts.ChallengeName} has been acknowledged by {facts.ReceivingProfessional.AgencyId} at {StageText(Stage.ProfessionalDiscussion)}."),
    ];

    public static IReadOnlyList<Notice> For(Disputes.V1.Events.DiscussionRecorded discussion, DisputeFacts facts) =>
    [
        ToReferrer(facts, DiscussionRecorded, discussion.Stage,
            $"A discussion of your challenge {facts.ChallengeName} at {StageText(discussion.Stage, discussion.ManagementTier)} has been recorded."),
    ];

    public static IReadOnlyList<Notice> For(ChallengeReviewed reviewed, DisputeFacts facts)
    {
        if (reviewed.Justified)
        {
            return
            [
                ToReferrer(facts, ReviewJustified, Stage.LineManagers,
                    $"At {StageText(Stage.LineManagers)}, your line manager found the concerns of challenge {facts.ChallengeName} justified and will liaise with {facts.ReceivingProfessional.AgencyId}'s line manager."),
            ];
        }
        // The reasons are shared with the referrer only; the receiving side learns that the challenge closed.
        var reasons = string.IsNullOrWhiteSpace(reviewed.Reasons) ? "" : $" The reasons: {reviewed.Reasons.Trim()}";
        return
        [
            ToReferrer(facts, ReviewNotJustified, Stage.LineManagers,
                $"At {StageText(Stage.LineManagers)}, your line manager found the concerns of challenge {facts.ChallengeName} not justified, and the challenge is closed.{reasons}"),
            new(RecipientRole.ReceivingProfessional, facts.ReceivingProfessional, ReviewNotJustified, Stage.LineManagers,
                $"Challenge {facts.ChallengeName} was closed at {StageText(Stage.LineManagers)}: the raising line manager found the concerns not justified."),
        ];
    }

    public static IReadOnlyList<Notice> For(Disputes.V1.Events.ChallengeEscalated escalated, DisputeFacts facts)
    {
        var how = escalated.Automatic ? "automatically, as its timescale was missed"
            : escalated.ByIndependentReviewingOfficer ? "by the Independent Reviewing Officer" : "";
        return
        [
            ToReferrer(facts, ChallengeEscalated, escalated.ToStage,
                $"Your challenge {facts.ChallengeName} has been escalated{(how.Length > 0 ? " " + how : "")} from {StageText(escalated.FromStage, escalated.FromManagementTier)} to {StageText(escalated.ToStage, escalated.ManagementTier)}."),
        ];
    }

    /// <summary>
    /// The people responsible at the new stage or tier. The referrer heard of the change from
    /// the challenge's own event, and at stage 1 the raise told both professionals.
    /// </summary>
    public static IReadOnlyList<Notice> For(ResponsiblePartiesRouted routed, DisputeFacts facts)
    {
        if (routed.Stage == Stage.ProfessionalDiscussion)
            return [];
        var iroRequired = routed.IndependentReviewingOfficerRequired || facts.IroRequired;
        var notices = new List<Notice>();
        foreach (var party in routed.ResponsibleParties)
        {
            if (party.Party is null || party.Responsibility == Responsibility.Referrer)
                continue;
            if (party.Responsibility == Responsibility.IndependentReviewingOfficer)
            {
                if (iroRequired)
                {
                    notices.Add(new(RecipientRole.IndependentReviewingOfficer, DisputeFacts.Copy(party.Party), IroNotified, routed.Stage,
                        $"Challenge {facts.ChallengeName}, about a child on a Child Protection Plan or Looked After, is now at {StageText(routed.Stage, routed.ManagementTier)}: as the Independent Reviewing Officer you are notified."));
                }
                continue;
            }
            if (RoleOf(party.Responsibility) is not { } role)
                continue;
            notices.Add(new(role, DisputeFacts.Copy(party.Party), ResponsibleAtStage, routed.Stage,
                $"Challenge {facts.ChallengeName} between {facts.Referrer.AgencyId} and {facts.ReceivingProfessional.AgencyId} is now at {StageText(routed.Stage, routed.ManagementTier)}, and you are responsible as {ResponsibilityText(party.Responsibility)}."));
        }
        return Distinct(notices);
    }

    public static IReadOnlyList<Notice> For(Disputes.V1.Events.ChallengeResolved resolved, DisputeFacts facts)
    {
        var kind = ResolutionText(resolved.Resolution?.Kind ?? ResolutionKind.Unspecified);
        // The summary is written to be shared with the referrer (common.proto, Resolution.summary).
        var summary = string.IsNullOrWhiteSpace(resolved.Resolution?.Summary) ? "" : $" The outcome: {resolved.Resolution.Summary.Trim()}";
        return
        [
            ToReferrer(facts, ChallengeResolved, resolved.Stage,
                $"Your challenge {facts.ChallengeName} was resolved at {StageText(resolved.Stage, resolved.ManagementTier)}: {kind}.{summary}"),
            new(RecipientRole.ReceivingProfessional, facts.ReceivingProfessional, ChallengeResolved, resolved.Stage,
                $"Challenge {facts.ChallengeName} was resolved at {StageText(resolved.Stage, resolved.ManagementTier)}: {kind}."),
        ];
    }

    public static IReadOnlyList<Notice> For(Disputes.V1.Events.ChallengeWithdrawn withdrawn, DisputeFacts facts) =>
    [
        ToReferrer(facts, ChallengeWithdrawn, withdrawn.Stage,
            $"Your challenge {facts.ChallengeName} was withdrawn at {StageText(withdrawn.Stage, withdrawn.ManagementTier)}."),
        new(RecipientRole.ReceivingProfessional, facts.ReceivingProfessional, ChallengeWithdrawn, withdrawn.Stage,
            $"Challenge {facts.ChallengeName} was withdrawn by {facts.Referrer.AgencyId} at {StageText(withdrawn.Stage, withdrawn.ManagementTier)}."),
    ];

    public static IReadOnlyList<Notice> For(IndependentChairAppointed appointed, DisputeFacts facts) =>
    [
        ToReferrer(facts, ChairAppointed, Stage.SafeguardingPartnership,
            $"An independent chair from {appointed.Chair?.AgencyId}, an agency not involved, has been appointed to your challenge {facts.ChallengeName} at {StageText(Stage.SafeguardingPartnership)}."),
        new(RecipientRole.IndependentChair, DisputeFacts.Copy(appointed.Chair), AppointedAsChair, Stage.SafeguardingPartnership,
            $"You have been appointed independent chair of the resolution meeting for challenge {facts.ChallengeName} between {facts.Referrer.AgencyId} and {facts.ReceivingProfessional.AgencyId}."),
    ];

    public static IReadOnlyList<Notice> For(Disputes.V1.Events.MinutesRecorded minutes, DisputeFacts facts)
    {
        if (minutes.Draft)
        {
            var chair = minutes.Chair is { ProfessionalId.Length: > 0 } ? minutes.Chair : facts.Chair;
            return chair is null ? [] :
            [
                new(RecipientRole.IndependentChair, DisputeFacts.Copy(chair), MinutesToApprove, minutes.Stage,
                    $"Draft minutes of the meeting about challenge {facts.ChallengeName} at {StageText(minutes.Stage)} await your approval."),
            ];
        }
        return
        [
            ToReferrer(facts, MinutesRecorded, minutes.Stage,
                $"The minutes of the meeting about your challenge {facts.ChallengeName} at {StageText(minutes.Stage)} have been recorded."),
        ];
    }

    /// <summary>Whoever should act before the timescale runs out; the referrer is assured by the escalation itself.</summary>
    public static IReadOnlyList<Notice> For(TimescaleReminderDue reminder, DisputeFacts facts) =>
        Distinct(reminder.ResponsibleParties
            .Where(p => p.Party is not null && p.Responsibility != Responsibility.Referrer && RoleOf(p.Responsibility) is not null)
            .Select(p => new Notice(RoleOf(p.Responsibility)!.Value, DisputeFacts.Copy(p.Party), TimescaleReminder, reminder.Stage,
                $"Reminder: the {reminder.Timescale} timescale of challenge {facts.ChallengeName} at {StageText(reminder.Stage, reminder.ManagementTier)} falls due on {Date(reminder.DueTime)}."))
            .ToList());

    public static IReadOnlyList<Notice> For(Disputes.V1.Events.TimescaleMissed missed, DisputeFacts facts)
    {
        var at = StageText(missed.Stage, missed.ManagementTier);
        var notices = missed.ResponsibleParties
            .Where(p => p.Party is not null && RoleOf(p.Responsibility) is not null)
            .Select(p => new Notice(RoleOf(p.Responsibility)!.Value, DisputeFacts.Copy(p.Party), TimescaleMissed, missed.Stage,
                $"The {missed.Timescale} timescale of challenge {facts.ChallengeName} at {at} was missed (due {Date(missed.DueTime)})."))
            .Concat(missed.NextTier
                .Where(p => p.Party is not null && RoleOf(p.Responsibility) is not null)
                .Select(p => new Notice(RoleOf(p.Responsibility)!.Value, DisputeFacts.Copy(p.Party), TimescaleMissedNextTier, missed.Stage,
                    $"The {missed.Timescale} timescale of challenge {facts.ChallengeName} at {at} was missed (due {Date(missed.DueTime)}); as the next tier you are alerted.")))
            .ToList();
        return Distinct(notices);
    }

    /// <summary>Nobody holds a responsibility the stage needs: the partnership is alerted, never silence.</summary>
    public static IReadOnlyList<Notice> For(RoutingGapFound gap, DisputeFacts facts, string partnershipAgencyId) =>
    [
        new(RecipientRole.Partnership, new Party { AgencyId = partnershipAgencyId, Role = "partnership" }, RoutingGap, gap.Stage,
            $"Nobody was found as {ResponsibilityText(gap.Responsibility)}{(gap.AgencyId.Length > 0 ? " at " + gap.AgencyId : "")} for challenge {facts.ChallengeName} at {StageText(gap.Stage, gap.ManagementTier)}; the partnership is asked to name someone."),
    ];

    public static RecipientRole? RoleOf(Responsibility responsibility) => responsibility switch
    {
        Responsibility.Referrer => RecipientRole.Referrer,
        Responsibility.ReceivingProfessional => RecipientRole.ReceivingProfessional,
        Responsibility.RaisingLineManager or Responsibility.ReceivingLineManager => RecipientRole.LineManager,
        Responsibility.RaisingSeniorManager or Responsibility.ReceivingSeniorManager => RecipientRole.SeniorManager,
        Responsibility.IndependentReviewingOfficer => RecipientRole.IndependentReviewingOfficer,
        Responsibility.PartnershipContact => RecipientRole.Partnership,
        Responsibility.IndependentChair => RecipientRole.IndependentChair,
        _ => null,
    };

    public static string StageText(Stage stage, int managementTier = 0) => stage switch
    {
        Stage.ProfessionalDiscussion => "stage 1 (professional discussion)",
        Stage.LineManagers => "stage 2 (line managers)",
        Stage.SeniorManagers => managementTier > 0 ? $"stage 3 (senior managers, tier {managementTier})" : "stage 3 (senior managers)",
        Stage.SafeguardingPartnership => "stage 4 (Safeguarding Children Partnership)",
        _ => "an unknown stage",
    };

    private static string ResponsibilityText(Responsibility responsibility) => responsibility switch
    {
        Responsibility.Referrer => "the referrer",
        Responsibility.ReceivingProfessional => "the receiving professional",
        Responsibility.RaisingLineManager => "the raising professional's line manager",
        Responsibility.ReceivingLineManager => "the receiving professional's line manager",
        Responsibility.RaisingSeniorManager => "the raising side's senior manager",
        Responsibility.ReceivingSeniorManager => "the receiving side's senior manager",
        Responsibility.IndependentReviewingOfficer => "the Independent Reviewing Officer",
        Responsibility.PartnershipContact => "a partnership contact",
        Responsibility.IndependentChair => "the independent chair",
        _ => "a responsible person",
    };

    private static string ResolutionText(ResolutionKind kind) => kind switch
    {
        ResolutionKind.AgreedPlanOfAction => "a plan of action was agreed",
        ResolutionKind.AlternativeDecisionAccepted => "the reasons for an alternative decision were understood",
        ResolutionKind.PartnershipRecommendations => "the partnership resolved it and made recommendations",
        _ => "resolved",
    };

    private static string Date(Google.Protobuf.WellKnownTypes.Timestamp? time) =>
        time is null ? "the due date" : time.ToDateTimeOffset().ToString("yyyy-MM-dd HH:mm 'UTC'", System.Globalization.CultureInfo.InvariantCulture);

    private static Notice ToReferrer(DisputeFacts facts, string name, Stage stage, string message) =>
        new(RecipientRole.Referrer, facts.Referrer, name, stage, message);

    /// <summary>One notice per recipient and notice name: a person listed twice (both line managers the same) is told once.</summary>
    private static IReadOnlyList<Notice> Distinct(List<Notice> notices) =>
        notices.DistinctBy(n => (n.Recipient.AgencyId, n.Recipient.ProfessionalId, n.Name)).ToArray();
}
