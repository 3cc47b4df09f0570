using Disputes.EventBus;
using Disputes.Notification.Domain;
using Disputes.Notification.Storage;
using Disputes.Procedure;
using Google.Protobuf;

namespace Disputes.Notification.Events;

/// <summary>
/// The facts an event's notices need. An event that overtook its raise is parked, and handled
/// again when the raise arrives (<see cref="ParkedEventReplay"/>), so it is neither lost nor dead-lettered.
/// </summary>
public sealed class DisputeFactsLookup(DisputeFactsStore store, ParkedEvents parked)
{
    private static readonly JsonFormatter Formatter = new(JsonFormatter.Settings.Default.WithFormatDefaultValues(false));

    /// <summary>The challenge and its facts; null when the event was parked to wait for its raise.</summary>
    public async Task<(string ChallengeId, DisputeFacts Facts)?> FindOrParkAsync(IMessage @event, EventContext context)
    {
        var challengeId = IntegrationEvents.DisputeIdOf(@event)
            ?? throw new InvalidOperationException($"{@event.Descriptor.Name} names no challenge.");
        while (true)
        {
            if (await store.GetAsync(challengeId) is { } facts)
                return (challengeId, facts);
            var waiting = new ParkedEvents.Parked(IntegrationEvents.TypeOf(@event.Descriptor), Formatter.Format(@event),
                context.EventId, context.Source, context.Time, context.TraceParent);
            if (await parked.ParkUnlessKnownAsync(challengeId, DisputeFactsStore.KeyOf(challengeId), waiting))
                return null;
            // The raise arrived meanwhile: read its facts again.
        }
    }
}
