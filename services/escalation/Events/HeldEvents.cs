using Disputes.Escalation.Storage;
using Disputes.EventBus;
using Disputes.Procedure;
using Google.Protobuf;

namespace Disputes.Escalation.Events;

/// <summary>
/// Challenge events that arrived ahead of their turn (before the raise, or before an earlier
/// version), kept in Redis and applied in version order as soon as their turn comes: delivery
/// is unordered, and a skipped version would skip a stage change and the routing it causes.
/// </summary>
public sealed partial class HeldEvents(
    EscalationStore store,
    EventSubscriptions subscriptions,
    IServiceProvider services,
    ILogger<HeldEvents> logger)
{
    public Task<bool> HoldUntilRaisedAsync(string challengeId, long version, EventContext context, IMessage @event) =>
        store.ParkAsync(challengeId, IntegrationEvents.TopicOf(@event.Descriptor), version, context.EventId, context.TraceParent, @event);

    public Task<bool> HoldUntilPredecessorAsync(string challengeId, StoredEscalation current, long version, EventContext context, IMessage @event)
    {
        LogHeld(context.EventId, version, current.Escalation.ChallengeVersion, challengeId);
        return store.HoldAsync(challengeId, current, IntegrationEvents.TopicOf(@event.Descriptor), version, context.EventId, context.TraceParent, @event);
    }

    /// <summary>
    /// Applies the held event whose turn has come (the version after the one the escalation
    /// reflects), which releases the next in turn; events already reflected are dropped, and all
    /// are dropped once the escalation is closed. Each is removed only after it is handled, so a
    /// crash replays it (the version check makes the replay harmless).
    /// </summary>
    public async Task ReleaseAsync(string challengeId, EventContext cause, CancellationToken cancellationToken)
    {
        while (await store.GetAsync(challengeId) is { } current)
        {
            var held = await store.ParkedAsync(challengeId);
            var applied = current.Escalation.ChallengeVersion;
            var closed = current.Escalation.CloseTime is not null;
            foreach (var stale in held.Where(e => closed || e.Version <= applied))
                await store.UnparkAsync(challengeId, stale.Field);
            if (closed || held.FirstOrDefault(e => e.Version == applied + 1) is not { Field.Length: > 0 } next)
                return;

            if (subscriptions.ForTopic(next.Topic) is { } subscription)
            {
                var message = subscription.Descriptor.Parser.ParseFrom(next.Payload);
                await subscription.InvokeAsync(services, message, new EventContext(next.EventId, cause.Source, cause.Time, next.TraceParent, challengeId), cancellationToken);
                LogReleased(next.EventId, next.Version, challengeId);
            }
            await store.UnparkAsync(challengeId, next.Field);
            if ((await store.GetAsync(challengeId))?.Escalation.ChallengeVersion == applied && subscriptions.ForTopic(next.Topic) is not null)
                return;
        }
    }

    [LoggerMessage(LogLevel.Debug, "Event {EventId} (version {Version}) of challenge {Challenge} held until version {Applied} + 1 is applied")]
    private partial void LogHeld(string eventId, long version, long applied, string challenge);

    [LoggerMessage(LogLevel.Debug, "Held event {EventId} (version {Version}) of challenge {Challenge} released")]
    private partial void LogReleased(string eventId, long version, string challenge);
}
