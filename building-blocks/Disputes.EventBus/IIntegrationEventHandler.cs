using System.Diagnostics;
using Google.Protobuf;

namespace Disputes.EventBus;

/// <summary>Handles one integration event. Delivery is at least once and unordered: be idempotent.</summary>
public interface IIntegrationEventHandler<in TEvent> where TEvent : IMessage
{
    Task HandleAsync(TEvent @event, EventContext context, CancellationToken cancellationToken);
}

/// <summary>The CloudEvent attributes a handler may need beside the event itself.</summary>
public sealed record EventContext(string EventId, string Source, DateTimeOffset Time, string? TraceParent, string? DisputeId)
{
    /// <summary>The W3C trace id the event belongs to: the trace of the request that caused it.</summary>
    public string? TraceId =>
        TraceParent is not null && ActivityContext.TryParse(TraceParent, null, out var context) ? context.TraceId.ToHexString() : null;

    /// <summary>
    /// The processed mark the handler queued in its own transaction (the task completes when that
    /// commits), so the dispatcher does not spend a round trip of its own on it.
    /// </summary>
    public Task? ProcessedMarkWrite { get; private set; }

    /// <summary>Called by the store that queued this event's processed mark in the handler's transaction.</summary>
    public void MarkProcessedWith(Task write) => ProcessedMarkWrite = write;

    public static EventContext From(EventEnvelope envelope) =>
        new(envelope.Id, envelope.Source, envelope.Time, envelope.TraceParent, envelope.DisputeId);
}
