using Disputes.Escalation.Storage;
using Disputes.Escalation.Witness;
using Disputes.EventBus;
using Disputes.V1.Events;

namespace Disputes.Escalation.Events;

/// <summary>
/// Witnesses a record's head: keeps the highest sequence per challenge, so a redelivered or
/// overtaken head changes nothing and the witness never moves back.
/// </summary>
public sealed partial class RecordHeadAdvancedHandler(RecordWitnessStore witnesses, TimeProvider time, ILogger<RecordHeadAdvancedHandler> logger)
    : IIntegrationEventHandler<RecordHeadAdvanced>
{
    public async Task HandleAsync(RecordHeadAdvanced @event, EventContext context, CancellationToken cancellationToken)
    {
        if (RecordWitnesses.From(@event, time.GetUtcNow(), out var challengeId) is not { } witness || challengeId is null)
        {
            LogIgnored(context.EventId);
            return;
        }
        await witnesses.AdvanceAsync(challengeId, witness);
    }

    [LoggerMessage(LogLevel.Warning, "Ignored record head event {EventId}: not a head the records service publishes")]
    private partial void LogIgnored(string eventId);
}
