using Disputes.EventBus;
using Disputes.Notification.Domain;
using Disputes.Notification.Sending;
using Disputes.V1.Events;

namespace Disputes.Notification.Events;

public sealed class ChallengeWithdrawnHandler(DisputeFactsLookup lookup, Notifier notifier) : IIntegrationEventHandler<ChallengeWithdrawn>
{
    public async Task HandleAsync(ChallengeWithdrawn @event, EventContext context, CancellationToken cancellationToken)
    {
        if (await lookup.FindOrParkAsync(@event, context) is not { } found)
            return;
        var (challengeId, facts) = found;
        await notifier.NotifyAsync(challengeId, RecipientsTable.For(@event, facts), context, lastWrite: true);
    }
}
