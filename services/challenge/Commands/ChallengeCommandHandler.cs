using Disputes.Challenge.Domain;
using Disputes.Challenge.Storage;
using Disputes.EventBus;
using Disputes.Procedure;
using Disputes.ServiceDefaults.Grpc;
using Disputes.ServiceDefaults.Identity;
using Disputes.V1;
using Google.Protobuf;

namespace Disputes.Challenge.Commands;

/// <summary>
/// Runs every command the same way, in the order the procedure's issue fixes so that two
/// engineers give the same answer: a request_id already applied returns its result; a caller
/// who may not read the challenge is PERMISSION_DENIED; a command the stage and state do not
/// allow is FAILED_PRECONDITION; a reader without the command's role is PERMISSION_DENIED; a
/// stale etag is ABORTED. Then the challenge and its one event are written together, only if
/// nobody changed the challenge meanwhile.
/// </summary>
public sealed class ChallengeCommandHandler(ChallengeStore store, IntegrationEventFactory events, TimeProvider timeProvider)
{
    public async Task<V1.Challenge> RaiseAsync(RaiseChallengeRequest request, Caller caller)
    {
        RaiseChallengeRules.EnsureRaiserIsCaller(request.Challenge?.RaisingParty, caller);
        RaiseChallengeRules.Validate(request);

        // The canonical raise is what the raise may set, without the server's choices.
        var canonical = new RaiseChallengeRequest { Challenge = CanonicalRaise(request.Challenge!) };
        var fingerprint = RequestFingerprint.For(ChallengeCommand.Raise, "", caller, request.RequestId, canonical);
        // In the request id's partition, so a retry finds the first call's request id in the slot it writes.
        var id = ChallengeStore.NewId(fingerprint, timeProvider);
        var raised = ChallengeAggregate.Raise(request, caller, id, timeProvider.GetUtcNow(), DisputeTelemetry.CurrentTraceId());

        // No read of the request id first: the write checks it before anything else and answers with what it produced.
        DisputeTelemetry.TagDispute(id);
        return await store.CreateAsync(raised.Challenge, fingerprint, events.Create(raised.Event)) switch
        {
            WriteOutcome.Written => ViewFor(caller, raised.Challenge),
            WriteOutcome.AlreadyApplied replayed => Replay(replayed.Request, fingerprint!, caller),
            // 80 random bits collided: nothing was written, the caller's retry gets a fresh id.
            _ => throw RpcErrors.Unavailable("The challenge could not be stored; nothing was written. Retry."),
        };
    }

    public Task<V1.Challenge> AcknowledgeAsync(AcknowledgeChallengeRequest request, Caller caller)
    {
        CommandRules.Validate(request);
        return RunAsync(request.Name, request.Etag, request.RequestId, ChallengeCommand.Acknowledge, Stage.Unspecified, caller,
            new AcknowledgeChallengeRequest { Name = request.Name, Etag = request.Etag, Note = request.Note },
            (challenge, actor, now, trace) => challenge.Acknowledge(actor, request.Note, now, trace));
    }

    public Task<V1.Challenge> RecordDiscussionAsync(RecordDiscussionRequest request, Caller caller)
    {
        CommandRules.Validate(request);
        var discussion = ChallengeProjections.Discussion(request.Discussion);
        discussion.Stage = Stage.Unspecified;
        discussion.RecordedBy = null;
        return RunAsync(request.Name, request.Etag, request.RequestId, ChallengeCommand.RecordDiscussion, Stage.Unspecified, caller,
            new RecordDiscussionRequest { Name = request.Name, Etag = request.Etag, Discussion = discussion },
            (challenge, actor, now, trace) => challenge.RecordDiscussion(actor, discussion, now, trace));
    }

    public Task<V1.Challenge> ReviewAsync(ReviewChallengeRequest request, Caller caller)
    {
        CommandRules.Validate(request);
        return RunAsync(request.Name, request.Etag, request.RequestId, ChallengeCommand.Review, Stage.Unspecified, caller,
            new ReviewChallengeRequest { Name = request.Name, Etag = request.Etag, Justified = request.Justified, Reasons = request.Reasons },
            (challenge, actor, now, trace) => challenge.Review(actor, request.Justified, request.Reasons, now, trace),
            new Move(ChallengeCommand.Review, Justified: request.Justified));
    }

    public Task<V1.Challenge> EscalateAsync(EscalateChallengeRequest request, Caller caller)
    {
        CommandRules.Validate(request);
        return RunAsync(request.Name, request.Etag, request.RequestId, ChallengeCommand.Escalate, request.TargetStage, caller,
            new EscalateChallengeRequest { Name = request.Name, Etag = request.Etag, Reason = request.Reason, TargetStage = request.TargetStage },
            (challenge, actor, now, trace) => challenge.Escalate(actor, request.Reason, request.TargetStage,
                byIndependentReviewingOfficer: request.TargetStage != Stage.Unspecified
                    && ChallengePermissions.IsChildsIro(caller, challenge)
                    && !ChallengePermissions.Allows(ChallengeCommand.Escalate, challenge, caller),
                now, trace));
    }

    public Task<V1.Challenge> ResolveAsync(ResolveChallengeRequest request, Caller caller)
    {
        CommandRules.Validate(request);
        var resolution = ChallengeProjections.Resolution(request.Resolution)!;
        return RunAsync(request.Name, request.Etag, request.RequestId, ChallengeCommand.Resolve, Stage.Unspecified, caller,
            new ResolveChallengeRequest { Name = request.Name, Etag = request.Etag, Resolution = resolution },
            (challenge, actor, now, trace) => challenge.Resolve(actor, resolution, now, trace));
    }

    public Task<V1.Challenge> WithdrawAsync(WithdrawChallengeRequest request, Caller caller)
    {
        CommandRules.Validate(request);
        return RunAsync(request.Name, request.Etag, request.RequestId, ChallengeCommand.Withdraw, Stage.Unspecified, caller,
            new WithdrawChallengeRequest { Name = request.Name, Etag = request.Etag, Reason = request.Reason },
            (challenge, actor, now, trace) => challenge.Withdraw(actor, request.Reason, now, trace));
    }

    private async Task<V1.Challenge> RunAsync(string name, string etag, string requestId, ChallengeCommand command, Stage targetStage, Caller caller,
        IMessage canonicalRequest, Func<ChallengeAggregate, Party, DateTimeOffset, string, ChallengeChange> act, Move? move = null)
    {
        var id = ResourceNames.ParseChallenge(name, "name");
        DisputeTelemetry.TagDispute(id);
        var fingerprint = RequestFingerprint.For(command, id, caller, requestId, canonicalRequest);

        // 1. A request id already applied returns what it produced.
        if (fingerprint is not null && await store.GetAppliedRequestAsync(id, fingerprint) is { } applied)
            return Replay(applied, fingerprint, caller);

        try
        {
            return await DecideAndSaveAsync(id, name, etag, command, targetStage, caller, fingerprint, act, move);
        }
        catch (global::Grpc.Core.RpcException) when (fingerprint is not null)
        {
            // A retry that raced its own first call read the challenge after that call changed it: still a replay.
            if (await store.GetAppliedRequestAsync(id, fingerprint) is { } raced)
                return Replay(raced, fingerprint, caller);
            throw;
        }
    }

    private async Task<V1.Challenge> DecideAndSaveAsync(string id, string name, string etag, ChallengeCommand command, Stage targetStage, Caller caller,
        RequestFingerprint? fingerprint, Func<ChallengeAggregate, Party, DateTimeOffset, string, ChallengeChange> act, Move? move)
    {
        var challenge = await store.GetAsync(id) ?? throw RpcErrors.NotFound(name);
        // 2. Who may not read it learns nothing more.
        if (DisputeAccess.ViewFor(caller, challenge.Parties) == DisputeView.None)
            throw NotAParty(name);
        // 3. What the table does not allow from here, whoever asks.
        challenge.Decide(move ?? new Move(command, TargetStage: targetStage, ChildOnPlanOrLookedAfter: challenge.ChildOnPlanOrLookedAfter));
        // 4. The role the command needs at this stage.
        if (!ChallengePermissions.Allows(command, challenge, caller, targetStage))
            throw RpcErrors.PermissionDenied(ChallengePermissions.Requirement(command, challenge.Position.Stage));
        // 5. The etag read must still be current.
        if (etag.Length > 0 && etag != challenge.Etag)
            throw RpcErrors.StaleEtag(name);

        var actor = new Party { AgencyId = caller.AgencyId, ProfessionalId = caller.ProfessionalId };
        var change = act(challenge, actor, timeProvider.GetUtcNow(), DisputeTelemetry.CurrentTraceId());
        return await store.SaveAsync(challenge.Version, change.Challenge, fingerprint, events.Create(change.Event)) switch
        {
            WriteOutcome.Written => ViewFor(caller, change.Challenge),
            WriteOutcome.AlreadyApplied replayed => Replay(replayed.Request, fingerprint!, caller),
            // Another command won the race: this one changed nothing.
            _ => throw RpcErrors.StaleEtag(name),
        };
    }

    private static V1.Challenge Replay(AppliedRequest applied, RequestFingerprint fingerprint, Caller caller) =>
        applied.RequestHash == fingerprint.RequestHash
            ? ViewFor(caller, new ChallengeAggregate(applied.Result))
            : throw ChallengeErrors.RequestIdReusedWithAnotherRequest();

    /// <summary>The full challenge, support's projection, or PERMISSION_DENIED.</summary>
    public static V1.Challenge ViewFor(Caller caller, ChallengeAggregate challenge) =>
        TryViewFor(caller, challenge) ?? throw NotAParty(challenge.Name);

    public static V1.Challenge? TryViewFor(Caller caller, ChallengeAggregate challenge) =>
        DisputeAccess.ViewFor(caller, challenge.Parties) switch
        {
            DisputeView.Full => challenge.ToMessage(),
            DisputeView.Support => ChallengeProjections.ForSupport(challenge.ToMessage()),
            _ => null,
        };

    private static global::Grpc.Core.RpcException NotAParty(string name) =>
        RpcErrors.PermissionDenied($"The caller may not read {name}.");

    private static V1.Challenge CanonicalRaise(V1.Challenge source) => new()
    {
        RaisingParty = ChallengeProjections.Party(source.RaisingParty),
        ReceivingParty = ChallengeProjections.Party(source.ReceivingParty),
        Child = ChallengeProjections.Child(source.Child),
        Category = source.Category,
        CategoryDetail = source.CategoryDetail,
        Subject = source.Subject,
        UnsafePracticeReason = source.UnsafePracticeReason,
        DesiredChange = source.DesiredChange,
        ImpactOnChild = source.ImpactOnChild,
        RaisedInMeeting = ChallengeProjections.Meeting(source.RaisedInMeeting),
    };
}
