using Google.Protobuf;
using Google.Protobuf.Reflection;

namespace Disputes.EventBus;

/// <summary>
/// What the bus needs to know of an event and does not decide itself: its topic, its CloudEvent type
/// and the key that orders it (the <c>disputeid</c> extension). The contracts define it; the bus is
/// given one at registration.
/// </summary>
public interface IEventCatalog
{
    /// <summary>The topic the event is published to; throws for a message that is not an integration event.</summary>
    string TopicOf(MessageDescriptor descriptor);

    /// <summary>The CloudEvent <c>type</c>.</summary>
    string TypeOf(MessageDescriptor descriptor);

    /// <summary>The key events are ordered and partitioned by, if the event names one.</summary>
    string? PartitionKeyOf(IMessage message);
}
