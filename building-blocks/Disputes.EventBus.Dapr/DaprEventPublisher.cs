using System.Text;
using Dapr.Client;

namespace Disputes.EventBus.Dapr;

/// <summary>
/// Publishes through the Dapr sidecar. The envelope goes as a whole CloudEvent
/// (<c>application/cloudevents+json</c>), so the sidecar keeps our id, source and type
/// (the proto full name) instead of wrapping the data in a CloudEvent of its own.
/// </summary>
public sealed class DaprEventPublisher(DaprClient dapr) : IEventPublisher
{
    public string System => "dapr";

    public Task PublishAsync(EventEnvelope envelope, CancellationToken cancellationToken) =>
        dapr.PublishByteEventAsync(
            envelope.PubSubName,
            envelope.Topic,
            Encoding.UTF8.GetBytes(envelope.ToCloudEventJson()),
            EventEnvelope.CloudEventsContentType,
            cancellationToken: cancellationToken);
}
