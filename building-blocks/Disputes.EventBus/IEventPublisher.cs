namespace Disputes.EventBus;

/// <summary>The transport's publish side. Services do not call it: they write to the outbox, whose relay does.</summary>
public interface IEventPublisher
{
    /// <summary>The messaging.system reported on spans, e.g. "redis" or "dapr".</summary>
    string System { get; }

    Task PublishAsync(EventEnvelope envelope, CancellationToken cancellationToken);
}
