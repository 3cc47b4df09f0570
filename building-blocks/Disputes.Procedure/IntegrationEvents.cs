using Disputes.EventBus;
using Disputes.V1.Events;
using Google.Protobuf;
using Google.Protobuf.Reflection;

namespace Disputes.Procedure;

/// <summary>
/// What the contracts in events.proto say about each integration event: its topic
/// (the <c>topic</c> message option), its CloudEvent type (the proto full name) and
/// the dispute it is about (its <c>challenge</c> field).
/// </summary>
public static class IntegrationEvents
{
    public static string TopicOf(MessageDescriptor descriptor)
    {
        var topic = descriptor.GetOptions()?.GetExtension(EventsExtensions.Topic);
        return string.IsNullOrEmpty(topic)
            ? throw new InvalidOperationException($"{descriptor.FullName} declares no (disputes.v1.topic) option; it is not an integration event.")
            : topic;
    }

    public static string TopicOf<TEvent>() where TEvent : IMessage<TEvent>, new() => TopicOf(new TEvent().Descriptor);

    public static string DeadLetterTopicOf(string topic) => DeadLetterTopics.Of(topic);

    public static string TypeOf(MessageDescriptor descriptor) => descriptor.FullName;

    /// <summary>The challenge id ("challenges/{id}" without the collection) an event is about, if it names one.</summary>
    public static string? DisputeIdOf(IMessage message)
    {
        var field = message.Descriptor.FindFieldByName("challenge");
        if (field?.Accessor.GetValue(message) is not string name || name.Length == 0)
            return null;
        const string prefix = "challenges/";
        return name.StartsWith(prefix, StringComparison.Ordinal) ? name[prefix.Length..] : name;
    }

    /// <summary>Every integration event declared in events.proto.</summary>
    public static IReadOnlyList<MessageDescriptor> All { get; } =
        EventsReflection.Descriptor.MessageTypes.Where(m => m.GetOptions()?.HasExtension(EventsExtensions.Topic) == true).ToArray();

    /// <summary>The same, as the event bus asks for it: given to the bus at registration.</summary>
    public static IEventCatalog Catalog { get; } = new EventsProtoCatalog();

    private sealed class EventsProtoCatalog : IEventCatalog
    {
        public string TopicOf(MessageDescriptor descriptor) => IntegrationEvents.TopicOf(descriptor);
        public string TypeOf(MessageDescriptor descriptor) => IntegrationEvents.TypeOf(descriptor);
        public string? PartitionKeyOf(IMessage message) => DisputeIdOf(message);
    }
}
