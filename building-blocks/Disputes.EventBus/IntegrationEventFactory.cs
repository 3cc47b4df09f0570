using System.Diagnostics;
using Google.Protobuf;
using Microsoft.Extensions.Options;

namespace Disputes.EventBus;

/// <summary>Wraps an integration event in its CloudEvent envelope, in the trace of the current request.</summary>
public sealed class IntegrationEventFactory(IOptions<EventBusOptions> options, TimeProvider timeProvider, IEventCatalog catalog)
{
    private static readonly JsonFormatter Formatter = new(JsonFormatter.Settings.Default.WithFormatDefaultValues(false));

    public EventEnvelope Create(IMessage @event)
    {
        var current = Activity.Current;
        var now = timeProvider.GetUtcNow();
        return new EventEnvelope(
            Id: Guid.CreateVersion7(now).ToString("N"),
            Source: options.Value.AppId,
            Type: catalog.TypeOf(@event.Descriptor),
            Topic: catalog.TopicOf(@event.Descriptor),
            PubSubName: options.Value.PubSubName,
            Time: now,
            DataJson: Formatter.Format(@event),
            TraceParent: current?.Id,
            TraceState: current?.TraceStateString,
            DisputeId: catalog.PartitionKeyOf(@event));
    }
}
