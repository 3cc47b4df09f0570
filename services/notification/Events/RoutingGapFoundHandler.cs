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
        var (challengeId, facts) = await lookup.RequireAsync(@event);
        await notifier.NotifyAsync(challengeId, RecipientsTable.For(@event, facts, options.Value.PartnershipAgencyId), context);
    }
}
