using Disputes.Challenge.Storage;
using Disputes.EventBus;
using Disputes.V1.Events;

namespace Disputes.Challenge.Events;

/// <summary>Records the chair the partnership appointed: the chair may then read, record stage 4 discussions and resolve.</summary>
public sealed partial class IndependentChairAppointedHandler(ChallengeUpdates updates, ChallengeStore store, TimeProvider timeProvider,
    ILogger<IndependentChairAppointedHandler> logger) : IIntegrationEventHandler<IndependentChairAppointed>
{
    public Task HandleAsync(IndependentChairAppointed @event, EventContext context, CancellationToken cancellationToken) =>
        updates.ApplyAsync(@event, async challenge =>
        {
            // An older appointment arriving late never replaces a newer one.
            if (@event.Chair is not { ProfessionalId.Length: > 0 } chair || @event.Version <= challenge.ChairVersion || !challenge.Position.IsOpen)
                return null;
            var written = await store.SaveChairAsync(challenge.Version, challenge.WithIndependentChair(chair, @event.Version, timeProvider.GetUtcNow()));
            if (written)
                LogChairRecorded(challenge.Name, chair.ProfessionalId);
            return written;
        });

    [LoggerMessage(LogLevel.Debug, "{Challenge}: independent chair {Chair} recorded")]
    private partial void LogChairRecorded(string challenge, string chair);
}
