using Disputes.Escalation.Domain;
using Disputes.Escalation.Storage;
using Disputes.EventBus;
using Disputes.Procedure;
using Disputes.V1;
using Disputes.V1.Events;
using Google.Protobuf;

namespace Disputes.Escalation.Application;

/// <summary>
/// Reads an escalation, lets the domain decide the change, and writes it with its timers and
/// events in one transaction, again from a fresh read when another writer got there first.
/// </summary>
public sealed class EscalationWriter(
    EscalationStore store,
    DirectoryStore directory,
    PolicyCatalog policies,
    EscalationTimers timers,
    IntegrationEventFactory events,
    Timers.TimerSignal signal)
{
    private const int MaxAttempts = 8;

    /// <summary>Opens the escalation of a raised challenge; false when it was already open.</summary>
    public async Task<bool> OpenAsync(ChallengeRaised raised, EscalationLifecycle lifecycle, DateTimeOffset now)
    {
        var challengeId = IntegrationEvents.DisputeIdOf(raised)!;
        var policy = await policies.CurrentAsync();
        var change = lifecycle.Open(raised, policy, await directory.SnapshotAsync(), now);
        var opened = await store.OpenAsync(challengeId, DisputeFacts.From(raised), change.Escalation,
            timers.Pending(change.Escalation, policy), change.Events.Select(e => events.Create(e)).ToArray());
        if (opened)
            signal.Wake();
        return opened;
    }

    /// <summary>
    /// Applies <paramref name="decide"/> to the stored escalation until it is written; a null
    /// decision writes nothing. Returns the escalation as stored afterwards, or null when the
    /// challenge's escalation is not open (yet).
    /// </summary>
    public async Task<V1.Escalation?> UpdateAsync(string challengeId,
        Func<StoredEscalation, TimescalePolicy, PartnershipDirectory, EscalationChange?> decide,
        (string TimerId, double Score)? claim = null, bool needsDirectory = true)
    {
        for (var attempt = 1; ; attempt++)
        {
            var current = await store.GetAsync(challengeId);
            if (current is null)
                return null;
            var policy = await policies.VersionAsync(current.Escalation.Policy);
            var change = decide(current, policy, needsDirectory ? await directory.SnapshotAsync() : PartnershipDirectory.Empty);
            if (change is null)
                return current.Escalation;
            var envelopes = change.Events.Select(e => Envelope(e)).ToArray();
            if (await store.SaveAsync(challengeId, current, change.Escalation, timers.Pending(change.Escalation, policy), envelopes, claim))
            {
                signal.Wake();
                return change.Escalation;
            }
            // Another replica fired (or a stage change moved) the timer: nothing more to do here.
            if (claim is { } fired && await store.TimerScoreAsync(fired.TimerId) != fired.Score)
                return null;
            if (attempt == MaxAttempts)
                throw new InvalidOperationException($"The escalation of {challengeId} kept changing while being updated.");
        }
    }

    /// <summary>
    /// A timer's event gets an id derived from the timer, so a firing retried (or raced by another
    /// replica) publishes the same event, which consumers drop as a duplicate.
    /// </summary>
    private EventEnvelope Envelope(IMessage @event)
    {
        var envelope = events.Create(@event);
        var timerId = @event switch
        {
            TimescaleReminderDue reminder => reminder.TimerId,
            TimescaleMissed missed => missed.TimerId,
            AutoEscalationDue auto => auto.TimerId,
            _ => null,
        };
        return timerId is null ? envelope : envelope with { Id = EscalationTimers.EventIdOf(timerId) };
    }
}
