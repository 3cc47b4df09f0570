using Disputes.Challenge.Domain;
using Disputes.Challenge.Storage;
using Disputes.EventBus;
using Disputes.V1.Events;

namespace Disputes.Challenge.Events;

/// <summary>Marks the challenge overdue at the stage (and tier) whose timescale was missed; a later stage is not overdue.</summary>
public sealed class TimescaleMissedHandler(ChallengeUpdates updates, ChallengeStore store) : IIntegrationEventHandler<TimescaleMissed>
{
    public Task HandleAsync(TimescaleMissed @event, EventContext context, CancellationToken cancellationToken) =>
        updates.ApplyAsync(@event, async challenge =>
        {
            var marker = ChallengeAggregate.MarkerOf(@event.Stage, @event.ManagementTier);
            if (!challenge.Position.IsOpen || challenge.Position.Stage != @event.Stage || challenge.Position.ManagementTier != @event.ManagementTier
                || challenge.OverdueAt == marker)
                return null;
            return await store.MarkOverdueAsync(challenge.Id, challenge.Version, marker);
        });
}
