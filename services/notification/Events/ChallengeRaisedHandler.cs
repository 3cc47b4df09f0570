using Disputes.EventBus;
using Disputes.Notification.Domain;
using Disputes.ServiceDefaults.Identity;
using Disputes.V1.Events;

namespace Disputes.Notification.Events;

/// <summary>Tells the referrer the challenge was received, and the receiving professional that it awaits them.</summary>
public sealed class ChallengeRaisedHandler(DisputePartiesStore parties, Notifier notifier) : IIntegrationEventHandler<ChallengeRaised>
{
    public async Task HandleAsync(ChallengeRaised @event, EventContext context, CancellationToken cancellationToken)
    {
        var challengeId = IntegrationEvents.DisputeIdOf(@event)!;
        await parties.SaveAsync(challengeId, new DisputeParties(@event.RaisingParty.AgencyId, @event.ReceivingParty.AgencyId));
        await notifier.NotifyAsync(challengeId, RecipientsTable.For(@event), context, cancellationToken);
    }
}
