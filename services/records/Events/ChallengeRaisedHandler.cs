using Disputes.EventBus;
using Disputes.Procedure;
using Disputes.Records.Recording;
using Disputes.V1.Events;

namespace Disputes.Records.Events;

/// <summary>Opens the dispute's record with what was challenged, why, and in which trace.</summary>
public sealed class ChallengeRaisedHandler(DisputeRecorder recorder, DisputePartiesStore parties) : IIntegrationEventHandler<ChallengeRaised>
{
    public async Task HandleAsync(ChallengeRaised @event, EventContext context, CancellationToken cancellationToken)
    {
        var challengeId = IntegrationEvents.DisputeIdOf(@event)!;
        await parties.SaveAsync(challengeId, new DisputeParties(@event.RaisingParty.AgencyId, @event.ReceivingParty.AgencyId));
        await recorder.RecordAsync(@event, context, context.TraceId ?? DisputeTelemetry.CurrentTraceId(), cancellationToken);
    }
}
