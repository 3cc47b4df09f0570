using Disputes.EventBus;
using Disputes.Procedure;
using Disputes.Records.Domain;
using Disputes.Records.Storage;
using Disputes.V1.Events;
using Google.Protobuf;

namespace Disputes.Records.Recording;

/// <summary>
/// Minutes each event of a dispute once, in the dispute's order: an event that arrives before
/// one it follows is held back (durably, in Redis) and appended as soon as its predecessor is.
/// </summary>
public sealed partial class DisputeRecorder(RecordStore store, TimeProvider timeProvider, ILogger<DisputeRecorder> logger)
{
    private const int MaxAttempts = 64;
    private const int MaxDrainSteps = 1_000;

    public async Task RecordAsync(IMessage @event, EventContext context, string traceId, CancellationToken cancellationToken)
    {
        var challengeId = IntegrationEvents.DisputeIdOf(@event)
            ?? throw new InvalidOperationException($"{@event.Descriptor.Name} {context.EventId} names no challenge.");
        if (RecordEntries.For(@event, null) is null)
            return;

        for (var attempt = 0; ; attempt++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (attempt >= MaxAttempts)
                throw new InvalidOperationException($"The record of {challengeId} kept changing during {MaxAttempts} attempts.");
            var (head, state) = await store.ReadAsync(challengeId);
            var readiness = RecordOrder.Of(state, @event);
            if (readiness == RecordReadiness.Stale)
            {
                LogStale(context.EventId, @event.Descriptor.Name, challengeId);
                return;
            }
            // An old redelivery (a replayed dead letter) of an event without a version: its id may
            // have been forgotten, so the entries are asked (read after the head the append is
            // conditioned on, so a concurrent append of it makes this attempt conflict and look again).
            if (RecordDeduplication.MayBeForgotten(@event, context.Time, timeProvider.GetUtcNow(), store.SourceRetention)
                && await IsRecordedAsync(challengeId, context.EventId))
            {
                LogAlreadyRecorded(context.EventId, challengeId);
                return;
            }
            var status = readiness == RecordReadiness.Held
                ? await store.TryHoldAsync(challengeId, head, context.EventId, HeldEvent.Of(@event, context, traceId).ToJson())
                : (await AppendAsync(challengeId, head, state, @event, context.EventId, traceId, heldEventId: null)).Status;
            if (status == AppendStatus.Duplicate)
                return;
            if (status == AppendStatus.Appended)
                break;
            await RecordStore.BackOffAsync(attempt);
        }
        await DrainAsync(challengeId, cancellationToken);
    }

    /// <summary>Appends every held event whose predecessor is now recorded, in the dispute's order.</summary>
    public async Task DrainAsync(string challengeId, CancellationToken cancellationToken)
    {
        for (var step = 0; step < MaxDrainSteps; step++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var held = await store.HeldAsync(challengeId);
            if (held.Count == 0)
                return;
            var (head, state) = await store.ReadAsync(challengeId);
            var candidates = held
                .Select(h => (Id: h.Key, Held: HeldEvent.FromJson(h.Value)))
                .Select(h => (h.Id, h.Held, Message: h.Held?.Message()))
                .ToList();

            foreach (var (id, _, _) in candidates.Where(c => c.Message is null))
            {
                LogUnreadableHeld(id, challengeId);
                await store.ForgetHeldAsync(challengeId, id);
            }
            var next = candidates
                .Where(c => c.Message is not null)
                .Select(c => (c.Id, Held: c.Held!, Message: c.Message!, Readiness: RecordOrder.Of(state, c.Message!)))
                .Where(c => c.Readiness != RecordReadiness.Held)
                .OrderBy(c => RecordOrder.ChallengeVersionOf(c.Message))
                .ThenBy(c => c.Held.Time)
                .FirstOrDefault();
            if (next.Message is null)
                return;
            if (next.Readiness == RecordReadiness.Stale)
            {
                await store.ForgetHeldAsync(challengeId, next.Id);
                continue;
            }
            var result = await AppendAsync(challengeId, head, state, next.Message, next.Id, next.Held.TraceId, next.Id);
            if (result.Status == AppendStatus.Duplicate)
                await store.ForgetHeldAsync(challengeId, next.Id);
            else if (result.Status == AppendStatus.Conflict)
                await RecordStore.BackOffAsync(step % 16);
        }
    }

    private async Task<bool> IsRecordedAsync(string challengeId, string eventId) =>
        (await store.ListAsync(challengeId)).Any(e => e.SourceEventId == eventId)
        || (await store.HeldAsync(challengeId)).ContainsKey(eventId);

    private Task<AppendResult> AppendAsync(string challengeId, RecordHead? head, DisputeRecord? state, IMessage @event, string eventId, string traceId, string? heldEventId)
    {
        var entry = RecordEntries.For(@event, state)!;
        entry.TraceId = traceId;
        entry.SourceEventId = eventId;
        return store.TryAppendAsync(challengeId, head, entry, new AppendOptions
        {
            SourceKey = eventId,
            State = DisputeRecord.Apply(state, @event),
            HeldEventId = heldEventId,
            RaisedTime = @event is ChallengeRaised raised ? raised.OccurTime?.ToDateTimeOffset() ?? DateTimeOffset.UnixEpoch : null,
        });
    }

    [LoggerMessage(LogLevel.Debug, "Event {EventId} ({EventType}) of {ChallengeId} is older than the record: nothing to add")]
    private partial void LogStale(string eventId, string eventType, string challengeId);

    [LoggerMessage(LogLevel.Debug, "Event {EventId} of {ChallengeId} is in the record already (found by its entries)")]
    private partial void LogAlreadyRecorded(string eventId, string challengeId);

    [LoggerMessage(LogLevel.Warning, "Held event {EventId} of {ChallengeId} cannot be read and is dropped")]
    private partial void LogUnreadableHeld(string eventId, string challengeId);
}
