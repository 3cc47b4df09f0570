using System.Globalization;
using System.Text;
using Disputes.V1;
using Disputes.V1.Events;
using Google.Protobuf;
using Google.Protobuf.Reflection;

namespace Disputes.Records.Domain;

/// <summary>What the record says about each event, in words a reader of the minutes expects.</summary>
public static class RecordEntries
{
    /// <summary>
    /// The unsealed entry an event makes, or null when the event is not one the record keeps
    /// (a delivery to anyone but the referrer). <paramref name="record"/> is the record as it
    /// stands before the event, for the stage of events that do not carry one.
    /// </summary>
    public static RecordEntry? For(IMessage @event, DisputeRecord? record) => @event switch
    {
        ChallengeRaised e => Raised(e),
        ChallengeAcknowledged e => Entry(RecordEntryKind.Acknowledged, Stage.ProfessionalDiscussion, 0, e.Actor, e.OccurTime, e.Version,
            $"Challenge acknowledged by {Describe(e.Actor)}.{Sentence("Note", e.Note)}"),
        DiscussionRecorded e => Entry(RecordEntryKind.Discussion, e.Stage, e.ManagementTier, e.Actor, e.OccurTime, e.Version, Discussion(e)),
        ChallengeReviewed e => Entry(RecordEntryKind.Review, Stage.LineManagers, 0, e.Actor, e.OccurTime, e.Version,
            $"Review by {Describe(e.Actor)}: the concerns are {(e.Justified ? "justified" : "not justified")}.{Sentence("Reasons", e.Reasons)}"
            + (e.Justified ? " The line managers liaise to resolve the challenge." : " The challenge is closed and the reasons are shared with the referrer.")),
        ChallengeEscalated e => Entry(RecordEntryKind.Escalated, e.ToStage, e.ManagementTier, e.Actor, e.OccurTime, e.Version, Escalation(e)),
        ChallengeResolved e => Entry(RecordEntryKind.Resolved, e.Stage, e.ManagementTier, e.Actor, e.OccurTime, e.Version,
            $"Resolved at {StageText(e.Stage, e.ManagementTier)} by {Describe(e.Actor)}: {Words(e.Resolution?.Kind ?? ResolutionKind.Unspecified)}."
            + Sentence("Resolution", e.Resolution?.Summary) + Plan(e.Resolution?.PlanOfAction)),
        ChallengeWithdrawn e => Entry(RecordEntryKind.Withdrawn, e.Stage, e.ManagementTier, e.Actor, e.OccurTime, e.Version,
            $"Withdrawn by {Describe(e.Actor)} at {StageText(e.Stage, e.ManagementTier)}.{Sentence("Reason", e.Reason)}"),
        ResponsiblePartiesRouted e => Entry(RecordEntryKind.Routed, e.Stage, e.ManagementTier, null, e.OccurTime, e.ChallengeVersion,
            $"Responsible at {StageText(e.Stage, e.ManagementTier)}: {Responsible(e.ResponsibleParties)}."
            + (e.IndependentReviewingOfficerRequired ? " The child is on a Child Protection Plan or Looked After: the IRO is notified." : "")),
        RoutingGapFound e => Entry(RecordEntryKind.RoutingGap, e.Stage, e.ManagementTier, null, e.OccurTime, e.ChallengeVersion,
            $"Nobody holds the responsibility {Words(e.Responsibility)} at {StageText(e.Stage, e.ManagementTier)}"
            + (e.AgencyId.Length > 0 ? $" in {e.AgencyId}" : "") + $".{Sentence("Detail", e.Detail)} The partnership is alerted."),
        IndependentChairAppointed e => Entry(RecordEntryKind.ChairAppointed, Stage.SafeguardingPartnership, 0, e.AppointedBy, e.OccurTime, 0,
            $"Independent chair {Describe(e.Chair)} appointed by {Describe(e.AppointedBy)} to chair the resolution meeting."),
        TimescaleMissed e => Entry(RecordEntryKind.TimescaleMissed, e.Stage, e.ManagementTier, null, e.OccurTime, 0,
            $"The {e.Timescale} timescale at {StageText(e.Stage, e.ManagementTier)}, due {Time(e.DueTime)}, was missed."
            + $" Responsible: {Responsible(e.ResponsibleParties)}."
            + (e.NextTier.Count > 0 ? $" Alerted: {Responsible(e.NextTier)}." : "")),
        NotificationDelivered e when e.RecipientRole == RecipientRole.Referrer => Entry(RecordEntryKind.ReferrerTold,
            e.Stage != Stage.Unspecified ? e.Stage : record?.Stage ?? Stage.Unspecified, record?.ManagementTier ?? 0, null, e.OccurTime, 0,
            $"The referrer {Describe(e.Recipient)} was {(e.Status == DeliveryStatus.Delivered ? "told" : "not reached")}: notice \"{e.Notice}\" by {Words(e.Channel)}"
            + (e.Status == DeliveryStatus.Delivered ? "" : $", given up after {e.Attempts} attempts") + $" (delivery {e.Delivery})."),
        _ => null,
    };

    public static RecordEntry Raised(ChallengeRaised raised)
    {
        var summary = new StringBuilder()
            .Append($"Challenge raised by {Describe(raised.RaisingParty)} about a decision, action or inaction of {Describe(raised.ReceivingParty)}. ")
            .Append($"Category: {CategoryText(raised)}. ")
            .Append($"Challenged: {raised.Subject} ")
            .Append($"Why the practice is unsafe for the child: {raised.UnsafePracticeReason} ")
            .Append($"What should change for the child: {raised.DesiredChange} ")
            .Append($"Impact on the child: {raised.ImpactOnChild}");
        if (raised.RaisedInMeeting is { Kind: not ProfessionalMeetingKind.Unspecified } meeting)
            summary.Append($" Raised in a {Words(meeting.Kind)} ({meeting.Reference}) held {Time(meeting.HeldTime)}.");
        return Entry(RecordEntryKind.ChallengeRaised, Stage.ProfessionalDiscussion, 0, raised.RaisingParty, raised.OccurTime, raised.Version, summary.ToString());
    }

    /// <summary>The entry of a meeting's minutes: attendees, chair, minutes, decisions, actions and recommendations.</summary>
    public static RecordEntry Minutes(Meeting meeting, Party recordedBy, Stage stage, int managementTier, DateTimeOffset now)
    {
        var entry = Entry(RecordEntryKind.MeetingMinutes, stage, managementTier, recordedBy, Google.Protobuf.WellKnownTypes.Timestamp.FromDateTimeOffset(now), 0,
            $"Minutes of the {(stage == Stage.SafeguardingPartnership ? "resolution meeting" : "professionals meeting")} at {StageText(stage, managementTier)}"
            + $" held {Time(meeting.HeldTime)}, chaired by {Describe(meeting.Chair)}, attended by {string.Join(", ", meeting.Attendees.Select(Describe))}.");
        entry.Meeting = meeting;
        return entry;
    }

    /// <summary>A correction names the entry it corrects; the corrected entry stays as it was.</summary>
    public static RecordEntry Correction(RecordEntry corrected, string summary, string reason, Party actor, DisputeRecord record, DateTimeOffset now)
    {
        var entry = Entry(RecordEntryKind.Correction, record.Stage, record.ManagementTier, actor, Google.Protobuf.WellKnownTypes.Timestamp.FromDateTimeOffset(now), 0,
            $"Correction of entry {corrected.Sequence} by {Describe(actor)}: {summary}{Sentence("Reason for the correction", reason)}");
        entry.CorrectsEntry = corrected.Name;
        return entry;
    }

    /// <summary>
    /// Support engineers see what happened and when, never the narrative: a new entry built
    /// from the allowed fields only, so nothing added to the entry later reaches them by default.
    /// </summary>
    public static RecordEntry ForSupport(RecordEntry entry)
    {
        var view = new RecordEntry
        {
            Name = entry.Name,
            Sequence = entry.Sequence,
            Kind = entry.Kind,
            Stage = entry.Stage,
            ManagementTier = entry.ManagementTier,
            OccurTime = entry.OccurTime,
            RecordTime = entry.RecordTime,
            TraceId = entry.TraceId,
            SourceEventId = entry.SourceEventId,
            CorrectsEntry = entry.CorrectsEntry,
            ChallengeVersion = entry.ChallengeVersion,
            PreviousHash = entry.PreviousHash,
            Hash = entry.Hash,
            ContentHash = entry.ContentHash,
        };
        if (entry.Actor is { } actor)
            view.Actor = new Party { AgencyId = actor.AgencyId, ProfessionalId = actor.ProfessionalId };
        return view;
    }

    private static RecordEntry Entry(RecordEntryKind kind, Stage stage, int tier, Party? actor, Google.Protobuf.WellKnownTypes.Timestamp? occurTime, long challengeVersion, string summary)
    {
        var entry = new RecordEntry { Kind = kind, Stage = stage, ManagementTier = tier, Summary = summary, ChallengeVersion = challengeVersion };
        if (actor is not null)
            entry.Actor = new Party { AgencyId = actor.AgencyId, ProfessionalId = actor.ProfessionalId, Role = actor.Role };
        if (occurTime is not null)
            entry.OccurTime = occurTime;
        return entry;
    }

    private static string Discussion(DiscussionRecorded e)
    {
        var text = new StringBuilder($"Discussion at {StageText(e.Stage, e.ManagementTier)}");
        if (e.Mode != DiscussionMode.Unspecified)
            text.Append($" ({Words(e.Mode)})");
        if (e.HeldTime is not null)
            text.Append($" held {Time(e.HeldTime)}");
        text.Append($", recorded by {Describe(e.Actor)}");
        if (e.Attendees.Count > 0)
            text.Append($", with {string.Join(", ", e.Attendees.Select(Describe))}");
        text.Append($". Summary: {e.Summary}");
        if (e.AgreedActions.Count > 0)
            text.Append(" Agreed actions: ").Append(string.Join("; ", e.AgreedActions.Select(Action))).Append('.');
        return text.ToString();
    }

    private static string Escalation(ChallengeEscalated e)
    {
        var by = e.Automatic ? "automatically, by the timescale policy"
            : e.ByIndependentReviewingOfficer ? $"by the IRO {Describe(e.Actor)}"
            : $"by {Describe(e.Actor)}";
        return $"Escalated from {StageText(e.FromStage, e.FromManagementTier)} to {StageText(e.ToStage, e.ManagementTier)} {by}.{Sentence("Reason", e.Reason)}";
    }

    private static string Plan(PlanOfAction? plan) =>
        plan is null || (plan.Summary.Length == 0 && plan.Actions.Count == 0) ? ""
            : $" Plan of action: {plan.Summary}" + (plan.Actions.Count > 0 ? " Actions: " + string.Join("; ", plan.Actions.Select(Action)) + "." : "");

    private static string Action(AgreedAction action) =>
        action.Description + (action.OwnerAgencyId.Length > 0 ? $" ({action.OwnerAgencyId}" + (action.DueDate.Length > 0 ? $", by {action.DueDate})" : ")") : "");

    private static string Responsible(IEnumerable<ResponsibleParty> parties)
    {
        var named = parties.Select(p => $"{Words(p.Responsibility)} {Describe(p.Party)}".Trim()).ToArray();
        return named.Length == 0 ? "nobody" : string.Join(", ", named);
    }

    public static string StageText(Stage stage, int tier) => stage switch
    {
        Stage.ProfessionalDiscussion => "stage 1 (professional discussion)",
        Stage.LineManagers => "stage 2 (line managers)",
        Stage.SeniorManagers => tier > 0 ? $"stage 3 (senior managers, tier {tier})" : "stage 3 (senior managers)",
        Stage.SafeguardingPartnership => "stage 4 (Safeguarding Children Partnership)",
        _ => "an unknown stage",
    };

    private static string Sentence(string label, string? text) => string.IsNullOrWhiteSpace(text) ? "" : $" {label}: {text}";

    private static string Time(Google.Protobuf.WellKnownTypes.Timestamp? time) =>
        time is null ? "at an unrecorded time" : time.ToDateTimeOffset().ToString("yyyy-MM-dd HH:mm 'UTC'", CultureInfo.InvariantCulture);

    private static string Describe(Party? party) =>
        party is null ? "someone unrecorded"
            : party.ProfessionalId.Length > 0 ? $"{party.Role} {party.ProfessionalId} ({party.AgencyId})".TrimStart() : party.AgencyId;

    /// <summary>An enum value in words: CATEGORY_CASE_CLOSURE reads "case closure".</summary>
    public static string Words<TEnum>(TEnum value) where TEnum : struct, Enum
    {
        var descriptor = EnumDescriptors.GetValueOrDefault(typeof(TEnum));
        var name = descriptor?.FindValueByNumber(Convert.ToInt32(value, CultureInfo.InvariantCulture))?.Name;
        if (descriptor is null || name is null)
            return value.ToString();
        // Every enum of the API starts with its PREFIX_UNSPECIFIED value: drop the prefix.
        var unspecified = descriptor.Values[0].Name;
        var common = unspecified[..(unspecified.Length - "UNSPECIFIED".Length)];
        return name.StartsWith(common, StringComparison.Ordinal) ? name[common.Length..].Replace('_', ' ').ToLowerInvariant() : name;
    }

    private static readonly Dictionary<System.Type, EnumDescriptor> EnumDescriptors =
        new[] { CommonReflection.Descriptor, NotificationServiceReflection.Descriptor }
            .SelectMany(f => f.EnumTypes)
            .ToDictionary(e => e.ClrType);

    /// <summary>The category in words: CATEGORY_CASE_CLOSURE reads "case closure".</summary>
    public static string CategoryText(ChallengeRaised raised)
    {
        var words = Words(raised.Category);
        return raised.Category == Category.Other ? $"{words} ({raised.CategoryDetail})" : words;
    }
}
