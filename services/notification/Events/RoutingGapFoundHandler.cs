using Disputes.EventBus;
using Disputes.Notification.Domain;
using Disputes.Notification.Sending;
using Disputes.V1.Events;
using Microsoft.Extensions.Options;

namespace Disputes.Notification.Events;

public sealed class RoutingGapFoundHandler(DisputeFactsLookup lookup, Notifier notifier, IOptions<NotificationOptions> options)
    : IIntegrationEventHandler<RoutingGapFound>
{
    public async Task HandleAsync(RoutingGapFound @event, EventContext context, CancellationToken cancellationToken)
    {
        if (await lookup.FindOrParkAsync(@event, context) is not { } found)
            return;
        var (challengeId, facts) = found;
        await notifier.NotifyAsync(challengeId, RecipientsTable.For(@event, facts, options.Value.PartnershipAgencyId), context, lastWrite: true);
    }
}
