using Disputes.Procedure;
using Disputes.ServiceDefaults.Grpc;
using Disputes.ServiceDefaults.Identity;
using Disputes.V1;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;

namespace Disputes.Challenge.Domain;

/// <summary>A change a command made: the challenge after it and the one event it publishes.</summary>
public sealed record ChallengeChange(ChallengeAggregate Challenge, IMessage Event);

/// <summary>
/// The challenge as the procedure sees it: where it stands, who its parties are, and the
/// transitions that move it (each checks the table in <see cref="ChallengeTransitions"/>,
/// bumps the version, keeps the history and yields its event). The API message is only its
/// stored form, kept as an allowlist projection.
/// </summary>
public sealed class ChallengeAggregate
{
    private readonly V1.Challenge _challenge;

    /// <param name="overdueAt">The position (<see cref="MarkerOf"/>) at which a timescale was missed, if any.</param>
    /// <param name="chairVersion">The version of escalation's appointment the chair was learnt from.</param>
    public ChallengeAggregate(V1.Challenge stored, string overdueAt = "", long chairVersion = 0)
    {
        _challenge = ChallengeProjections.Full(stored);
        OverdueAt = overdueAt;
        ChairVersion = chairVersion;
    }

    public string Name => _challenge.Name;

    public string Id => _challenge.Name[(ResourceNames.ChallengesCollection.Length + 1)..];

    public long Version => _challenge.Version;

    public string Etag => _challenge.Etag;

    public Position Position => new(_challenge.Stage, _challenge.ManagementTier, _challenge.State);

    public Party RaisingParty => _challenge.RaisingParty ?? new Party();

    public Party ReceivingParty => _challenge.ReceivingParty ?? new Party();

    public ChildReference Child => _challenge.Child ?? new ChildReference();

    public Category Category => _challenge.Category;

    public Party? IndependentChair => _challenge.IndependentChair;

    public DateTimeOffset RaisedTime => _challenge.CreateTime?.ToDateTimeOffset() ?? DateTimeOffset.MinValue;

    public bool ChildOnPlanOrLookedAfter => Child.OnChildProtectionPlan || Child.LookedAfter;

    public string OverdueAt { get; }

    public long ChairVersion { get; }

    /// <summary>A missed timescale marks the challenge overdue until its stage (or tier) changes.</summary>
    public bool IsOverdue => OverdueAt.Length > 0 && OverdueAt == MarkerOf(Position.Stage, Position.ManagementTier);

    public static string MarkerOf(Stage stage, int managementTier) => $"{(int)stage}/{managementTier}";

    /// <summary>Who may read it: the party agencies, the child's IRO and local authority, the appointed chair.</summary>
    public DisputeParties Parties => new(
        RaisingParty.AgencyId,
        ReceivingParty.AgencyId,
        AppointedProfessional.Of(Child.LocalAuthorityId, Child.IroProfessionalId, IndependentChair?.AgencyId, IndependentChair?.ProfessionalId),
        Child.LocalAuthorityId);

    /// <summary>The stored form, as the API defines it.</summary>
    public V1.Challenge ToMessage() => ChallengeProjections.Full(_challenge);

    public static ChallengeChange Raise(RaiseChallengeRequest request, Caller caller, string id, DateTimeOffset now, string traceId)
    {
        var challenge = new ChallengeAggregate(RaiseChallengeRules.NewChallenge(request, caller, id, now, traceId));
        return new(challenge, ChallengeEvents.Raised(challenge._challenge));
    }

    /// <summary>Where the move would take the challenge; FAILED_PRECONDITION saying why when the table does not allow it.</summary>
    public Position Decide(Move move) =>
        ChallengeTransitions.TryMove(Position, move)
        ?? throw RpcErrors.FailedPrecondition(Name, "CHALLENGE_STATE", ChallengeTransitions.WhyNot(Position, move));

    public ChallengeChange Acknowledge(Party actor, string note, DateTimeOffset now, string traceId)
    {
        var to = Decide(new Move(ChallengeCommand.Acknowledge));
        var next = Advance(to, ChallengeCommand.Acknowledge, actor, now, traceId, _ => { });
        return new(next, new V1.Events.ChallengeAcknowledged
        {
            Challenge = Name, Version = next.Version, OccurTime = Timestamp.FromDateTimeOffset(now), Actor = actor, Note = note,
        });
    }

    public ChallengeChange RecordDiscussion(Party actor, Discussion discussion, DateTimeOffset now, string traceId)
    {
        var to = Decide(new Move(ChallengeCommand.RecordDiscussion));
        if (_challenge.Discussions.Count >= ChallengeLimits.Discussions)
            throw RpcErrors.FailedPrecondition(Name, "DISCUSSION_LIMIT",
                $"A challenge keeps at most {ChallengeLimits.Discussions} discussions; record further meetings as minutes.");
        var kept = ChallengeProjections.Discussion(discussion);
        kept.HeldTime ??= Timestamp.FromDateTimeOffset(now);
        kept.Stage = Position.Stage;
        kept.RecordedBy = actor;
        var next = Advance(to, ChallengeCommand.RecordDiscussion, actor, now, traceId, c => c.Discussions.Add(kept));
        return new(next, new V1.Events.DiscussionRecorded
        {
            Challenge = Name, Version = next.Version, OccurTime = Timestamp.FromDateTimeOffset(now), Actor = actor,
            Stage = kept.Stage, ManagementTier = Position.ManagementTier, Mode = kept.Mode, HeldTime = kept.HeldTime,
            Attendees = { kept.Attendees }, Summary = kept.Summary, AgreedActions = { kept.AgreedActions },
        });
    }

    public ChallengeChange Review(Party actor, bool justified, string reasons, DateTimeOffset now, string traceId)
    {
        var to = Decide(new Move(ChallengeCommand.Review, Justified: justified));
        var next = Advance(to, ChallengeCommand.Review, actor, now, traceId, c => c.Review = new Review
        {
            Justified = justified, Reasons = reasons, Reviewer = actor, ReviewTime = Timestamp.FromDateTimeOffset(now),
        });
        return new(next, new V1.Events.ChallengeReviewed
        {
            Challenge = Name, Version = next.Version, OccurTime = Timestamp.FromDateTimeOffset(now), Actor = actor,
            Justified = justified, Reasons = reasons, State = to.State,
        });
    }

    /// <summary>A person escalates; <paramref name="byIndependentReviewingOfficer"/> when the IRO rule is what allowed it.</summary>
    public ChallengeChange Escalate(Party actor, string reason, Stage targetStage, bool byIndependentReviewingOfficer, DateTimeOffset now, string traceId)
    {
        var to = Decide(new Move(ChallengeCommand.Escalate, TargetStage: targetStage, ChildOnPlanOrLookedAfter: ChildOnPlanOrLookedAfter));
        return Escalated(to, ChallengeCommand.Escalate, actor, reason, byIndependentReviewingOfficer, timerId: "", now, traceId);
    }

    /// <summary>
    /// The timescale policy escalates: only if the challenge still stands where the timer was
    /// set (stage, tier and version); null otherwise, and nothing changes.
    /// </summary>
    public ChallengeChange? AutoEscalate(Stage stage, int managementTier, long version, string timerId, DateTimeOffset now, string traceId)
    {
        if (Position.Stage != stage || Position.ManagementTier != managementTier || Version != version)
            return null;
        if (ChallengeTransitions.TryMove(Position, new Move(ChallengeCommand.AutoEscalate)) is not { } to)
            return null;
        return Escalated(to, ChallengeCommand.AutoEscalate, actor: null, "The timescale was missed; escalated automatically by the partnership's policy.",
            byIndependentReviewingOfficer: false, timerId, now, traceId);
    }

    private ChallengeChange Escalated(Position to, ChallengeCommand command, Party? actor, string reason, bool byIndependentReviewingOfficer,
        string timerId, DateTimeOffset now, string traceId)
    {
        var from = Position;
        var next = Advance(to, command, actor, now, traceId, _ => { });
        return new(next, new V1.Events.ChallengeEscalated
        {
            Challenge = Name, Version = next.Version, OccurTime = Timestamp.FromDateTimeOffset(now), Actor = actor,
            FromStage = from.Stage, FromManagementTier = from.ManagementTier, ToStage = to.Stage, ManagementTier = to.ManagementTier,
            Reason = reason, Automatic = command == ChallengeCommand.AutoEscalate,
            ByIndependentReviewingOfficer = byIndependentReviewingOfficer, AutoEscalationTimerId = timerId,
        });
    }

    public ChallengeChange Resolve(Party actor, Resolution resolution, DateTimeOffset now, string traceId)
    {
        var to = Decide(new Move(ChallengeCommand.Resolve));
        var kept = ChallengeProjections.Resolution(resolution)!;
        var next = Advance(to, ChallengeCommand.Resolve, actor, now, traceId, c => c.Resolution = kept);
        return new(next, new V1.Events.ChallengeResolved
        {
            Challenge = Name, Version = next.Version, OccurTime = Timestamp.FromDateTimeOffset(now), Actor = actor,
            Stage = to.Stage, ManagementTier = to.ManagementTier, Resolution = kept,
        });
    }

    public ChallengeChange Withdraw(Party actor, string reason, DateTimeOffset now, string traceId)
    {
        var to = Decide(new Move(ChallengeCommand.Withdraw));
        var next = Advance(to, ChallengeCommand.Withdraw, actor, now, traceId, c => c.WithdrawalReason = reason);
        return new(next, new V1.Events.ChallengeWithdrawn
        {
            Challenge = Name, Version = next.Version, OccurTime = Timestamp.FromDateTimeOffset(now), Actor = actor,
            Stage = to.Stage, ManagementTier = to.ManagementTier, Reason = reason,
        });
    }

    /// <summary>
    /// Records the independent chair escalation appointed. Not a command of this service: the
    /// version (and etag) stay, so every version still matches one event this service published.
    /// </summary>
    public ChallengeAggregate WithIndependentChair(Party chair, long appointmentVersion, DateTimeOffset now)
    {
        var next = ToMessage();
        next.IndependentChair = new Party { AgencyId = chair.AgencyId, ProfessionalId = chair.ProfessionalId, Role = chair.Role };
        next.UpdateTime = Timestamp.FromDateTimeOffset(now);
        return new ChallengeAggregate(next, OverdueAt, appointmentVersion);
    }

    private ChallengeAggregate Advance(Position to, ChallengeCommand command, Party? actor, DateTimeOffset now, string traceId, Action<V1.Challenge> edit)
    {
        var next = ToMessage();
        edit(next);
        next.Stage = to.Stage;
        next.ManagementTier = to.ManagementTier;
        next.State = to.State;
        next.Version = Version + 1;
        next.Etag = Etags.Of(next.Version);
        next.UpdateTime = Timestamp.FromDateTimeOffset(now);
        if (to != Position)
            next.History.Add(new StageChange
            {
                Stage = to.Stage, ManagementTier = to.ManagementTier, State = to.State,
                Command = ChallengeCommandNames.Of(command),
                Actor = actor is null ? null : new Party { AgencyId = actor.AgencyId, ProfessionalId = actor.ProfessionalId },
                ChangeTime = next.UpdateTime, TraceId = traceId, Version = next.Version,
            });
        return new ChallengeAggregate(next, OverdueAt, ChairVersion);
    }
}
