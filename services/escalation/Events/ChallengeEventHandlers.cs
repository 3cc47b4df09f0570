using Disputes.Escalation.Application;
using Disputes.Escalation.Domain;
using Disputes.Escalation.Storage;
using Google.Protobuf;
using Disputes.EventBus;
using Disputes.V1;
using Disputes.V1.Events;

namespace Disputes.Escalation.Events;

/// <summary>Opens the challenge's escalation at stage 1 under the policy in force, routed to the two professionals.</summary>
public sealed partial class ChallengeRaisedHandler(
    EscalationWriter writer,
    EscalationLifecycle lifecycle,
    HeldEvents held,
    TimeProvider time,
    ILogger<ChallengeRaisedHandler> logger) : IIntegrationEventHandler<ChallengeRaised>
{
    public async Task HandleAsync(ChallengeRaised @event, EventContext context, CancellationToken cancellationToken)
    {
        // Not a challenge this suite could have raised: nothing to route, never worth a retry.
        if (!ChallengeEvents.IsChallengeName(@event.Challenge, out var challengeId))
            return;
        if (await writer.OpenAsync(@event, lifecycle, time.GetUtcNow()))
            LogOpened(@event.Challenge);

        // Events that overtook the raise, in version order; each removed once applied (a crash replays the rest).
        await held.ReleaseAsync(challengeId, context, cancellationToken);
    }

    [LoggerMessage(LogLevel.Debug, "Escalation of {Challenge} opened at stage 1")]
    private partial void LogOpened(string challenge);
}

/// <summary>A stage or tier change: new due times and timers, routed to the stage's responsible people.</summary>
public sealed class ChallengeEscalatedHandler(EscalationWriter writer, HeldEvents held, EscalationLifecycle lifecycle, TimeProvider time)
    : IIntegrationEventHandler<ChallengeEscalated>
{
    public Task HandleAsync(ChallengeEscalated @event, EventContext context, CancellationToken cancellationToken) =>
        ChallengeEvents.ApplyAsync(writer, held, @event, context, @event.Challenge, @event.Version, (current, policy, directory) =>
            @event.ToStage is < Stage.ProfessionalDiscussion or > Stage.SafeguardingPartnership
                ? null
                : lifecycle.Escalate(current.Escalation, current.Facts, policy, directory, @event, time.GetUtcNow()));
}

/// <summary>The receiving side acknowledged: the acknowledgement timers are cancelled (also when it arrives late).</summary>
public sealed class ChallengeAcknowledgedHandler(EscalationWriter writer, HeldEvents held, EscalationLifecycle lifecycle)
    : IIntegrationEventHandler<ChallengeAcknowledged>
{
    public Task HandleAsync(ChallengeAcknowledged @event, EventContext context, CancellationToken cancellationToken) =>
        ChallengeEvents.ApplyAsync(writer, held, @event, context, @event.Challenge, @event.Version, (current, _, _) =>
            EscalationHistory.WasAcknowledged(current.Escalation)
                ? null
                : lifecycle.Note(current.Escalation, EscalationHistory.Acknowledged, @event.Version, @event.OccurTime),
            evenIfOlder: true, needsDirectory: false);
}

public sealed class DiscussionRecordedHandler(EscalationWriter writer, HeldEvents held, EscalationLifecycle lifecycle)
    : IIntegrationEventHandler<DiscussionRecorded>
{
    public Task HandleAsync(DiscussionRecorded @event, EventContext context, CancellationToken cancellationToken) =>
        ChallengeEvents.ApplyAsync(writer, held, @event, context, @event.Challenge, @event.Version, (current, _, _) =>
            lifecycle.Note(current.Escalation, EscalationHistory.DiscussionRecorded, @event.Version, @event.OccurTime), needsDirectory: false);
}

/// <summary>Stage 2 review: justified is noted; not justified closes the escalation and cancels its timers.</summary>
public sealed class ChallengeReviewedHandler(EscalationWriter writer, HeldEvents held, EscalationLifecycle lifecycle)
    : IIntegrationEventHandler<ChallengeReviewed>
{
    public Task HandleAsync(ChallengeReviewed @event, EventContext context, CancellationToken cancellationToken) =>
        ChallengeEvents.ApplyAsync(writer, held, @event, context, @event.Challenge, @event.Version, (current, _, _) => @event.Justified
            ? lifecycle.Note(current.Escalation, EscalationHistory.ReviewedJustified, @event.Version, @event.OccurTime)
            : lifecycle.Close(current.Escalation, EscalationHistory.ClosedNotJustified, @event.Version, @event.OccurTime), needsDirectory: false);
}

public sealed class ChallengeResolvedHandler(EscalationWriter writer, HeldEvents held, EscalationLifecycle lifecycle)
    : IIntegrationEventHandler<ChallengeResolved>
{
    public Task HandleAsync(ChallengeResolved @event, EventContext context, CancellationToken cancellationToken) =>
        ChallengeEvents.ApplyAsync(writer, held, @event, context, @event.Challenge, @event.Version, (current, _, _) =>
            lifecycle.Close(current.Escalation, EscalationHistory.Resolved, @event.Version, @event.OccurTime), needsDirectory: false);
}

public sealed class ChallengeWithdrawnHandler(EscalationWriter writer, HeldEvents held, EscalationLifecycle lifecycle)
    : IIntegrationEventHandler<ChallengeWithdrawn>
{
    public Task HandleAsync(ChallengeWithdrawn @event, EventContext context, CancellationToken cancellationToken) =>
        ChallengeEvents.ApplyAsync(writer, held, @event, context, @event.Challenge, @event.Version, (current, _, _) =>
            lifecycle.Close(current.Escalation, EscalationHistory.Withdrawn, @event.Version, @event.OccurTime), needsDirectory: false);
}

/// <summary>What every challenge event handler shares: the version check and the wait for the raise.</summary>
internal static class ChallengeEvents
{
    private static EscalationChange Advance(V1.Escalation current, long version)
    {
        var escalation = current.Clone();
        escalation.ChallengeVersion = version;
        return new EscalationChange(escalation, []);
    }

    public static bool IsChallengeName(string name, out string challengeId)
    {
        const string prefix = "challenges/";
        challengeId = name.StartsWith(prefix, StringComparison.Ordinal) ? name[prefix.Length..] : "";
        return Disputes.ServiceDefaults.Grpc.SortableId.IsValid(challengeId);
    }

    /// <summary>
    /// Applies a challenge event in its challenge's version order: a version already reflected
    /// changes nothing; one that overtook an earlier version (or the raise) is held back until
    /// that version is applied, so no stage change (and the routing it causes) is ever skipped.
    /// </summary>
    public static async Task ApplyAsync(EscalationWriter writer, HeldEvents held, IMessage @event, EventContext context, string challenge, long version,
        Func<StoredEscalation, TimescalePolicy, PartnershipDirectory, EscalationChange?> decide, bool evenIfOlder = false,
        bool needsDirectory = true)
    {
        // Not a challenge this suite could have raised: nothing to route, never worth a retry.
        if (!IsChallengeName(challenge, out var challengeId))
            return;
        for (var attempt = 1; ; attempt++)
        {
            StoredEscalation? ahead = null;
            var applied = await writer.UpdateAsync(challengeId, (current, policy, directory) =>
            {
                // Nothing moves a closed escalation.
                if (current.Escalation.CloseTime is not null)
                    return null;
                if (version <= current.Escalation.ChallengeVersion)
                    return evenIfOlder ? decide(current, policy, directory) : null;
                if (version > current.Escalation.ChallengeVersion + 1)
                {
                    ahead = current;
                    return null;
                }
                // Its turn: even an event that changes nothing here advances the version, so the next one is not held for ever.
                return decide(current, policy, directory) ?? Advance(current.Escalation, version);
            }, needsDirectory: needsDirectory);

            if (applied is not null && ahead is null)
            {
                await held.ReleaseAsync(challengeId, context, CancellationToken.None);
                return;
            }
            // The raise, or an earlier version, has not been handled yet (delivery is unordered).
            if (applied is null
                    ? await held.HoldUntilRaisedAsync(challengeId, version, context, @event)
                    : await held.HoldUntilPredecessorAsync(challengeId, ahead!, version, context, @event))
                return;
            if (attempt == 3)
                throw new InvalidOperationException($"The escalation of {challenge} kept changing while an event waited for an earlier one.");
        }
    }
}
