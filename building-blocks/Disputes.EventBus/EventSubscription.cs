using Google.Protobuf;
using Google.Protobuf.Reflection;
using Microsoft.Extensions.DependencyInjection;

namespace Disputes.EventBus;

/// <summary>An app's subscription to one topic: the event type it carries and the handler that takes it.</summary>
public sealed class EventSubscription
{
    private static readonly JsonParser Parser = new(JsonParser.Settings.Default.WithIgnoreUnknownFields(true));
    private readonly Func<IServiceProvider, IMessage, EventContext, CancellationToken, Task> _invoke;

    private EventSubscription(MessageDescriptor descriptor, string topic, Type handlerType, Func<IServiceProvider, IMessage, EventContext, CancellationToken, Task> invoke)
    {
        Descriptor = descriptor;
        HandlerType = handlerType;
        Topic = topic;
        _invoke = invoke;
    }

    public MessageDescriptor Descriptor { get; }
    public Type HandlerType { get; }
    public string Topic { get; }
    public string EventType => Descriptor.FullName;
    public string DeadLetterTopic => DeadLetterTopics.Of(Topic);

    /// <summary>Reads the event from the CloudEvent's JSON data; unknown fields from newer publishers are ignored.</summary>
    public IMessage Parse(string dataJson) => Parser.Parse(dataJson, Descriptor);

    public Task InvokeAsync(IServiceProvider services, IMessage message, EventContext context, CancellationToken cancellationToken) =>
        _invoke(services, message, context, cancellationToken);

    public static EventSubscription For<TEvent, THandler>(IEventCatalog catalog)
        where TEvent : IMessage<TEvent>, new()
        where THandler : IIntegrationEventHandler<TEvent> =>
        new(new TEvent().Descriptor, catalog.TopicOf(new TEvent().Descriptor), typeof(THandler),
            (services, message, context, ct) => services.GetRequiredService<THandler>().HandleAsync((TEvent)message, context, ct));
}

/// <summary>All subscriptions of this app, one per topic.</summary>
public sealed class EventSubscriptions
{
    private readonly Dictionary<string, EventSubscription> _byTopic;

    public EventSubscriptions(IEnumerable<EventSubscription> subscriptions)
    {
        _byTopic = new Dictionary<string, EventSubscription>(StringComparer.Ordinal);
        foreach (var subscription in subscriptions)
        {
            if (!_byTopic.TryAdd(subscription.Topic, subscription))
                throw new InvalidOperationException($"Two handlers subscribe to {subscription.Topic}; an app has one handler per event.");
        }
    }

    public IReadOnlyCollection<EventSubscription> All => _byTopic.Values;

    public EventSubscription? ForTopic(string topic) => _byTopic.GetValueOrDefault(topic);
}
