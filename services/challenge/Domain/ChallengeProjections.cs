using Disputes.V1;

namespace Disputes.Challenge.Domain;

/// <summary>
/// Allowlist projections: every message the service stores or returns is built field by
/// field from what the API defines, so unknown fields (and whatever a newer client adds)
/// are never stored, and support never sees a field nobody decided it may see.
/// </summary>
public static class ChallengeProjections
{
    public static Party? Party(Party? party) => party is null ? null : new()
    {
        AgencyId = party.AgencyId,
        ProfessionalId = party.ProfessionalId,
        Role = party.Role,
    };

    public static ChildReference? Child(ChildReference? child) => child is null ? null : new()
    {
        Reference = child.Reference,
        OnChildProtectionPlan = child.OnChildProtectionPlan,
        LookedAfter = child.LookedAfter,
        LocalAuthorityId = child.LocalAuthorityId,
        IroProfessionalId = child.IroProfessionalId,
    };

    public static ProfessionalMeetingReference? Meeting(ProfessionalMeetingReference? meeting) => meeting is null ? null : new()
    {
        Kind = meeting.Kind,
        Reference = meeting.Reference,
        HeldTime = Time(meeting.HeldTime),
    };

    public static AgreedAction Action(AgreedAction action) => new()
    {
        Description = action.Description,
        OwnerAgencyId = action.OwnerAgencyId,
        DueDate = action.DueDate,
    };

    public static Resolution? Resolution(Resolution? resolution) => resolution is null ? null : new()
    {
        Kind = resolution.Kind,
        Summary = resolution.Summary,
        PlanOfAction = resolution.PlanOfAction is { } plan
            ? new PlanOfAction { Summary = plan.Summary, Actions = { plan.Actions.Select(Action) } }
            : null,
    };

    public static Discussion Discussion(Discussion discussion) => new()
    {
        Mode = discussion.Mode,
        HeldTime = Time(discussion.HeldTime),
        Attendees = { discussion.Attendees.Select(a => Party(a)!) },
        Summary = discussion.Summary,
        AgreedActions = { discussion.AgreedActions.Select(Action) },
        Stage = discussion.Stage,
        RecordedBy = Party(discussion.RecordedBy),
    };

    public static Review? Review(Review? review) => review is null ? null : new()
    {
        Justified = review.Justified,
        Reasons = review.Reasons,
        Reviewer = Party(review.Reviewer),
        ReviewTime = Time(review.ReviewTime),
    };

    public static StageChange StageChange(StageChange change) => new()
    {
        Stage = change.Stage,
        ManagementTier = change.ManagementTier,
        State = change.State,
        Command = change.Command,
        Actor = Ids(change.Actor),
        ChangeTime = Time(change.ChangeTime),
        TraceId = change.TraceId,
        Version = change.Version,
    };

    /// <summary>The whole challenge as the API defines it.</summary>
    public static V1.Challenge Full(V1.Challenge challenge) => new()
    {
        Name = challenge.Name,
        RaisingParty = Party(challenge.RaisingParty),
        ReceivingParty = Party(challenge.ReceivingParty),
        Child = Child(challenge.Child),
        Category = challenge.Category,
        CategoryDetail = challenge.CategoryDetail,
        Subject = challenge.Subject,
        UnsafePracticeReason = challenge.UnsafePracticeReason,
        DesiredChange = challenge.DesiredChange,
        ImpactOnChild = challenge.ImpactOnChild,
        RaisedInMeeting = Meeting(challenge.RaisedInMeeting),
        Stage = challenge.Stage,
        ManagementTier = challenge.ManagementTier,
        State = challenge.State,
        Resolution = Resolution(challenge.Resolution),
        Discussions = { challenge.Discussions.Select(Discussion) },
        Review = Review(challenge.Review),
        IndependentChair = Party(challenge.IndependentChair),
        WithdrawalReason = challenge.WithdrawalReason,
        History = { challenge.History.Select(StageChange) },
        CreateTime = Time(challenge.CreateTime),
        UpdateTime = Time(challenge.UpdateTime),
        Version = challenge.Version,
        Etag = challenge.Etag,
        TraceId = challenge.TraceId,
    };

    /// <summary>
    /// What support engineers see: ids, kinds, stages, times and trace ids. Never the
    /// narrative, the child, reasons, summaries or roles in words.
    /// </summary>
    public static V1.Challenge ForSupport(V1.Challenge challenge) => new()
    {
        Name = challenge.Name,
        RaisingParty = Ids(challenge.RaisingParty),
        ReceivingParty = Ids(challenge.ReceivingParty),
        // Present but empty: clients read the child's fields without a null check.
        Child = new ChildReference(),
        Category = challenge.Category,
        RaisedInMeeting = challenge.RaisedInMeeting is { } meeting
            ? new ProfessionalMeetingReference { Kind = meeting.Kind, HeldTime = Time(meeting.HeldTime) }
            : null,
        Stage = challenge.Stage,
        ManagementTier = challenge.ManagementTier,
        State = challenge.State,
        Resolution = challenge.Resolution is { } resolution ? new Resolution { Kind = resolution.Kind } : null,
        Discussions =
        {
            challenge.Discussions.Select(d => new Discussion
            {
                Mode = d.Mode,
                HeldTime = Time(d.HeldTime),
                Stage = d.Stage,
                RecordedBy = Ids(d.RecordedBy),
            }),
        },
        Review = challenge.Review is { } review
            ? new Review { Justified = review.Justified, Reviewer = Ids(review.Reviewer), ReviewTime = Time(review.ReviewTime) }
            : null,
        IndependentChair = Ids(challenge.IndependentChair),
        History = { challenge.History.Select(StageChange) },
        CreateTime = Time(challenge.CreateTime),
        UpdateTime = Time(challenge.UpdateTime),
        Version = challenge.Version,
        Etag = challenge.Etag,
        TraceId = challenge.TraceId,
    };

    private static Party? Ids(Party? party) => party is null ? null : new()
    {
        AgencyId = party.AgencyId,
        ProfessionalId = party.ProfessionalId,
    };

    private static Google.Protobuf.WellKnownTypes.Timestamp? Time(Google.Protobuf.WellKnownTypes.Timestamp? time) =>
        time is null ? null : new() { Seconds = time.Seconds, Nanos = time.Nanos };
}
