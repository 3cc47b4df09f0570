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
    EscalationStore store,
    EventSubscriptions subscriptions,
    IServiceProvider services,
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
        foreach (var (field, topic, eventId, traceParent, payload) in await store.ParkedAsync(challengeId))
        {
            if (subscriptions.ForTopic(topic) is { } subscription)
            {
                var early = subscription.Descriptor.Parser.ParseFrom(payload);
                await subscription.InvokeAsync(services, early, new EventContext(eventId, context.Source, context.Time, traceParent, challengeId), cancellationToken);
                LogReplayed(eventId, @event.Challenge);
            }
            await store.UnparkAsync(challengeId, field);
        }
    }

    [LoggerMessage(LogLevel.Information, "Escalation of {Challenge} opened at stage 1")]
    private partial void LogOpened(string challenge);

    [LoggerMessage(LogLevel.Information, "Event {EventId}, which arrived before {Challenge} was raised, applied")]
    private partial void LogReplayed(string eventId, string challenge);
}

/// <summary>A stage or tier change: new due times and timers, routed to the stage's responsible people.</summary>
public sealed class ChallengeEscalatedHandler(EscalationWriter writer, EscalationStore store, EscalationLifecycle lifecycle, TimeProvider time)
    : IIntegrationEventHandler<ChallengeEscalated>
{
    public Task HandleAsync(ChallengeEscalated @event, EventContext context, CancellationToken cancellationToken) =>
        ChallengeEvents.ApplyAsync(writer, store, @event, context, @event.Challenge, @event.Version, (current, policy, directory) =>
            @event.ToStage is < Stage.ProfessionalDiscussion or > Stage.SafeguardingPartnership
                ? null
                : lifecycle.Escalate(current.Escalation, current.Facts, policy, directory, @event, time.GetUtcNow()));
}

/// <summary>The receiving side acknowledged: the acknowledgement timers are cancelled (also when it arrives late).</summary>
public sealed class ChallengeAcknowledgedHandler(EscalationWriter writer, EscalationStore store, EscalationLifecycle lifecycle)
    : IIntegrationEventHandler<ChallengeAcknowledged>
{
    public Task HandleAsync(ChallengeAcknowledged @event, EventContext context, CancellationToken cancellationToken) =>
        ChallengeEvents.ApplyAsync(writer, store, @event, context, @event.Challenge, @event.Version, (current, _, _) =>
            EscalationHistory.WasAcknowledged(current.Escalation)
                ? null
                : lifecycle.Note(current.Escalation, EscalationHistory.Acknowledged, @event.Version, @event.OccurTime),
            evenIfOlder: true, needsDirectory: false);
}

public sealed class DiscussionRecordedHandler(EscalationWriter writer, EscalationStore store, EscalationLifecycle lifecycle)
    : IIntegrationEventHandler<DiscussionRecorded>
{
    public Task HandleAsync(DiscussionRecorded @event, EventContext context, CancellationToken cancellationToken) =>
        ChallengeEvents.ApplyAsync(writer, store, @event, context, @event.Challenge, @event.Version, (current, _, _) =>
            lifecycle.Note(current.Escalation, EscalationHistory.DiscussionRecorded, @event.Version, @event.OccurTime), needsDirectory: false);
}

/// <summary>Stage 2 review: justified is noted; not justified closes the escalation and cancels its timers.</summary>
public sealed class ChallengeReviewedHandler(EscalationWriter writer, EscalationStore store, EscalationLifecycle lifecycle)
    : IIntegrationEventHandler<ChallengeReviewed>
{
    public Task HandleAsync(ChallengeReviewed @event, EventContext context, CancellationToken cancellationToken) =>
        ChallengeEvents.ApplyAsync(writer, store, @event, context, @event.Challenge, @event.Version, (current, _, _) => @event.Justified
            ? lifecycle.Note(current.Escalation, EscalationHistory.ReviewedJustified, @event.Version, @event.OccurTime)
            : lifecycle.Close(current.Escalation, EscalationHistory.ClosedNotJustified, @event.Version, @event.OccurTime), needsDirectory: false);
}

public sealed class ChallengeResolvedHandler(EscalationWriter writer, EscalationStore store, EscalationLifecycle lifecycle)
    : IIntegrationEventHandler<ChallengeResolved>
{
    public Task HandleAsync(ChallengeResolved @event, EventContext context, CancellationToken cancellationToken) =>
        ChallengeEvents.ApplyAsync(writer, store, @event, context, @event.Challenge, @event.Version, (current, _, _) =>
            lifecycle.Close(current.Escalation, EscalationHistory.Resolved, @event.Version, @event.OccurTime), needsDirectory: false);
}

public sealed class ChallengeWithdrawnHandler(EscalationWriter writer, EscalationStore store, EscalationLifecycle lifecycle)
    : IIntegrationEventHandler<ChallengeWithdrawn>
{
    public Task HandleAsync(ChallengeWithdrawn @event, EventContext context, CancellationToken cancellationToken) =>
        ChallengeEvents.ApplyAsync(writer, store, @event, context, @event.Challenge, @event.Version, (current, _, _) =>
            lifecycle.Close(current.Escalation, EscalationHistory.Withdrawn, @event.Version, @event.OccurTime), needsDirectory: false);
}

/// <summary>What every challenge event handler shares: the version check and the wait for the raise.</summary>
internal static class ChallengeEvents
{
    public static bool IsChallengeName(string name, out string challengeId)
    {
        const string prefix = "challenges/";
        challengeId = name.StartsWith(prefix, StringComparison.Ordinal) ? name[prefix.Length..] : "";
        return Disputes.ServiceDefaults.Grpc.SortableId.IsValid(challengeId);
    }

    public static async Task ApplyAsync(EscalationWriter writer, EscalationStore store, IMessage @event, EventContext context, string challenge, long version,
        Func<StoredEscalation, TimescalePolicy, PartnershipDirectory, EscalationChange?> decide, bool evenIfOlder = false,
        bool needsDirectory = true)
    {
        // Not a challenge this suite could have raised: nothing to route, never worth a retry.
        if (!IsChallengeName(challenge, out var challengeId))
            return;
        for (var attempt = 1; ; attempt++)
        {
            if (await UpdateAsync(writer, challengeId, version, decide, evenIfOlder, needsDirectory) is not null)
                return;
            // The raise has not been handled yet (delivery is unordered): kept until it is, unless it opened meanwhile.
            if (await store.ParkAsync(challengeId, IntegrationEvents.TopicOf(@event.Descriptor), version, context.EventId, context.TraceParent, @event))
                return;
            if (attempt == 3)
                throw new InvalidOperationException($"The escalation of {challenge} kept changing while an event waited for its raise.");
        }
    }

    private static Task<V1.Escalation?> UpdateAsync(EscalationWriter writer, string challengeId, long version,
        Func<StoredEscalation, TimescalePolicy, PartnershipDirectory, EscalationChange?> decide, bool evenIfOlder, bool needsDirectory) =>
        writer.UpdateAsync(challengeId, (current, policy, directory) =>
        {
            // Delivery is unordered: a version already reflected (or older) changes nothing, and
            // nothing moves a closed escalation.
            if (current.Escalation.CloseTime is not null)
                return null;
            if (!evenIfOlder && version <= current.Escalation.ChallengeVersion)
                return null;
            return decide(current, policy, directory);
        }, needsDirectory: needsDirectory);
}
