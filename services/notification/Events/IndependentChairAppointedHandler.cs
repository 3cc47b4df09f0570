using Disputes.EventBus;
using Disputes.Notification.Domain;
using Disputes.Notification.Sending;
using Disputes.Notification.Storage;
using Disputes.V1.Events;

namespace Disputes.Notification.Events;

/// <summary>Keeps the chair (who may then read the dispute's deliveries) and tells the referrer and the chair.</summary>
public sealed class IndependentChairAppointedHandler(DisputeFactsLookup lookup, DisputeFactsStore store, Notifier notifier)
    : IIntegrationEventHandler<IndependentChairAppointed>
{
    public async Task HandleAsync(IndependentChairAppointed @event, EventContext context, CancellationToken cancellationToken)
    {
        if (await lookup.FindOrParkAsync(@event, context) is not { } found)
            return;
        var (challengeId, facts) = found;
        if (@event.Chair is { ProfessionalId.Length: > 0 })
            await store.SaveChairAsync(challengeId, @event.Chair);
        await notifier.NotifyAsync(challengeId, RecipientsTable.For(@event, facts), context, lastWrite: true);
    }
}
