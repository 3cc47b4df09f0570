using Disputes.EventBus;
using Disputes.Notification.Domain;
using Disputes.Notification.Sending;
using Disputes.V1.Events;

namespace Disputes.Notification.Events;

public sealed class ChallengeReviewedHandler(DisputeFactsLookup lookup, Notifier notifier) : IIntegrationEventHandler<ChallengeReviewed>
{
    public async Task HandleAsync(ChallengeReviewed @event, EventContext context, CancellationToken cancellationToken)
    {
        var (challengeId, facts) = await lookup.RequireAsync(@event);
        await notifier.NotifyAsync(challengeId, RecipientsTable.For(@event, facts), context);
    }
}
