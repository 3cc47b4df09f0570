using Disputes.EventBus;
using Disputes.Procedure;
using Disputes.Records.Recording;
using Google.Protobuf;

namespace Disputes.Records.Events;

/// <summary>
/// Minutes an event of the dispute. Every event the record keeps takes the same path (an
/// entry in the dispute's order), so one handler serves them; what each says is in
/// <see cref="Domain.RecordEntries"/>.
/// </summary>
public sealed class RecordEventHandler<TEvent>(DisputeRecorder recorder) : IIntegrationEventHandler<TEvent>
    where TEvent : IMessage
{
    public Task HandleAsync(TEvent @event, EventContext context, CancellationToken cancellationToken) =>
        recorder.RecordAsync(@event, context, context.TraceId ?? DisputeTelemetry.CurrentTraceId(), cancellationToken);
}
