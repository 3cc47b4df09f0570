using System.Diagnostics;
using Google.Protobuf;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Disputes.EventBus;

/// <summary>The answer a delivery gets, as Dapr reads it from a subscriber.</summary>
public enum DispatchOutcome
{
    /// <summary>Handled (or already handled before): acknowledge.</summary>
    Success,
    /// <summary>The handler failed: deliver again later.</summary>
    Retry,
    /// <summary>Not an event this app can ever handle: do not deliver again.</summary>
    Drop,
}

/// <summary>Delivers one CloudEvent to this app's handler: parse, de-duplicate, trace, handle.</summary>
public sealed partial class EventDispatcher(
    IServiceScopeFactory scopes,
    EventSubscriptions subscriptions,
    IProcessedEvents processedEvents,
    IOptions<EventBusOptions> options,
    ILogger<EventDispatcher> logger)
{
    public async Task<DispatchOutcome> DispatchAsync(EventEnvelope envelope, string system, CancellationToken cancellationToken)
    {
        using var activity = EventBusTelemetry.StartProcess(envelope, system, options.Value.AppId);
        var subscription = subscriptions.ForTopic(envelope.Topic);
        if (subscription is null || subscription.EventType != envelope.Type)
        {
            LogUnexpected(envelope.Id, envelope.Type, envelope.Topic);
            activity?.SetStatus(ActivityStatusCode.Error, "no handler for this event type on this topic");
            return DispatchOutcome.Drop;
        }

        IMessage message;
        try
        {
            message = subscription.Parse(envelope.DataJson);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // Whatever the parser throws (bad JSON data, wrong field types, nesting too deep), the data cannot be read.
            LogUnreadable(ex, envelope.Id, envelope.Type);
            activity?.SetStatus(ActivityStatusCode.Error, "unreadable event data");
            return DispatchOutcome.Drop;
        }

        if (await processedEvents.WasProcessedAsync(envelope.Id, envelope.DisputeId))
        {
            activity?.SetTag("disputes.duplicate", true);
            LogDuplicate(envelope.Id, envelope.Type);
            return DispatchOutcome.Success;
        }

        var started = Stopwatch.GetTimestamp();
        try
        {
            await using var scope = scopes.CreateAsyncScope();
            var context = EventContext.From(envelope);
            await subscription.InvokeAsync(scope.ServiceProvider, message, context, cancellationToken);
            if (!await CommittedAsync(context.ProcessedMarkWrite))
                await processedEvents.MarkProcessedAsync(envelope.Id, envelope.DisputeId);
            EventBusMetrics.HandlerDuration(envelope.Topic, options.Value.AppId, Stopwatch.GetElapsedTime(started));
            return DispatchOutcome.Success;
        }
        catch (UnprocessableEventException ex)
        {
            activity?.AddException(ex);
            activity?.SetStatus(ActivityStatusCode.Error, ex.Message);
            LogRefused(ex, envelope.Id, envelope.Type, subscription.HandlerType.Name, ex.Message);
            EventBusMetrics.EventRefused(envelope.Topic, ex.Reason);
            EventBusMetrics.HandlerDuration(envelope.Topic, options.Value.AppId, Stopwatch.GetElapsedTime(started), "refused");
            return DispatchOutcome.Drop;
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
        {
            activity?.AddException(ex);
            activity?.SetStatus(ActivityStatusCode.Error, ex.Message);
            LogHandlerFailed(ex, envelope.Id, envelope.Type, subscription.HandlerType.Name);
            EventBusMetrics.HandlerDuration(envelope.Topic, options.Value.AppId, Stopwatch.GetElapsedTime(started), ex.GetType().FullName);
            return DispatchOutcome.Retry;
        }
    }

    /// <summary>Whether the handler's own transaction wrote the processed mark (it did not when that transaction was refused).</summary>
    private static async Task<bool> CommittedAsync(Task? write)
    {
        if (write is null)
            return false;
        try
        {
            await write;
            return true;
        }
        catch (Exception)
        {
            return false;
        }
    }

    [LoggerMessage(LogLevel.Warning, "Dropping event {EventId}: no handler for {EventType} on topic {Topic}")]
    private partial void LogUnexpected(string eventId, string eventType, string topic);

    [LoggerMessage(LogLevel.Warning, "Dropping event {EventId}: its {EventType} data cannot be read")]
    private partial void LogUnreadable(Exception exception, string eventId, string eventType);

    [LoggerMessage(LogLevel.Debug, "Event {EventId} ({EventType}) was already handled; acknowledging the redelivery")]
    private partial void LogDuplicate(string eventId, string eventType);

    [LoggerMessage(LogLevel.Error, "{Handler} refused event {EventId} ({EventType}); it is dead-lettered, not retried: {Reason}")]
    private partial void LogRefused(Exception exception, string eventId, string eventType, string handler, string reason);

    [LoggerMessage(LogLevel.Warning, "{Handler} failed on event {EventId} ({EventType})")]
    private partial void LogHandlerFailed(Exception exception, string eventId, string eventType, string handler);
}
