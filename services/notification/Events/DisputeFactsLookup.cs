using Disputes.EventBus;
using Disputes.Notification.Domain;
using Disputes.Notification.Storage;
using Google.Protobuf;

namespace Disputes.Notification.Events;

/// <summary>The facts an event's notices need; an event that overtook its raise is retried until the raise arrives.</summary>
public sealed class DisputeFactsLookup(DisputeFactsStore store)
{
    public async Task<(string ChallengeId, DisputeFacts Facts)> RequireAsync(IMessage @event)
    {
        var challengeId = IntegrationEvents.DisputeIdOf(@event)
            ?? throw new InvalidOperationException($"{@event.Descriptor.Name} names no challenge.");
        var facts = await store.GetAsync(challengeId)
            ?? throw new DisputeNotYetKnownException(challengeId);
        return (challengeId, facts);
    }
}

/// <summary>The raise of a challenge has not reached notification yet: retried with backoff, dead-lettered if it never does.</summary>
public sealed class DisputeNotYetKnownException(string challengeId)
    : Exception($"Challenge {challengeId} is not known here yet; its raise may still be on its way.");
