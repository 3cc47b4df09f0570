using Disputes.Challenge.Domain;
using Disputes.Challenge.Storage;
using Disputes.Procedure;
using Disputes.ServiceDefaults.Grpc;
using Google.Protobuf;

namespace Disputes.Challenge.Events;

/// <summary>
/// How a consumed event changes a challenge: read, decide, write conditionally on the version
/// read; when another change wins the race, decide again from what it wrote. A decision of
/// "nothing to do" (stale event, unknown challenge) ends it, which makes redelivery harmless.
/// </summary>
public sealed class ChallengeUpdates(ChallengeStore store)
{
    private const int Attempts = 5;

    public async Task ApplyAsync(IMessage @event, Func<ChallengeAggregate, Task<bool?>> tryWrite)
    {
        if (IntegrationEvents.DisputeIdOf(@event) is not { } id || !SortableId.IsValid(id))
            return;
        for (var attempt = 0; attempt < Attempts; attempt++)
        {
            if (await store.GetAsync(id) is not { } challenge)
                return;
            // null: nothing to do; true: written; false: lost a race, read again.
            if (await tryWrite(challenge) is not false)
                return;
        }
        throw new InvalidOperationException($"challenges/{id} kept changing while {@event.Descriptor.Name} was applied; the bus retries it.");
    }
}
