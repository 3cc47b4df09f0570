using Disputes.EventBus;
using Disputes.Notification.Domain;
using Disputes.Notification.Sending;
using Disputes.Notification.Storage;
using Disputes.Procedure;
using Disputes.V1.Events;

namespace Disputes.Notification.Events;

/// <summary>Keeps the dispute's facts (once), tells both professionals of the raise, then handles the events that overtook it.</summary>
public sealed class ChallengeRaisedHandler(DisputeFactsStore store, Notifier notifier, ParkedEventReplay parked) : IIntegrationEventHandler<ChallengeRaised>
{
    public async Task HandleAsync(ChallengeRaised @event, EventContext context, CancellationToken cancellationToken)
    {
        var challengeId = IntegrationEvents.DisputeIdOf(@event)
            ?? throw new InvalidOperationException("A raise names no challenge.");
        var facts = DisputeFacts.From(challengeId, @event);
        if (!await store.SaveOnceAsync(facts))
            throw new InvalidOperationException($"A raise of {challengeId} names other parties than the first; it is refused.");
        await notifier.NotifyAsync(challengeId, RecipientsTable.For(@event, facts), context);
        await parked.ReplayAsync(challengeId, cancellationToken);
    }
}
