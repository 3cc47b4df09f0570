using System.Diagnostics;

namespace Disputes.EventBus;

/// <summary>Publish and process spans following the OpenTelemetry messaging conventions.</summary>
public static class EventBusTelemetry
{
    public const string ActivitySourceName = "Disputes.EventBus";
    public const string DisputeIdTag = "dispute.id";

    private static readonly ActivitySource Source = new(ActivitySourceName);

    /// <summary>Starts the publish span as a child of the context the event was written in.</summary>
    public static Activity? StartPublish(EventEnvelope envelope, string system)
    {
        ActivityContext.TryParse(envelope.TraceParent, envelope.TraceState, out var parent);
        var activity = Source.StartActivity($"publish {envelope.Topic}", ActivityKind.Producer, parent);
        Tag(activity, envelope, system, "publish");
        return activity;
    }

    /// <summary>Starts the process span as a child of the publish span carried in the CloudEvent.</summary>
    public static Activity? StartProcess(EventEnvelope envelope, string system, string consumerGroup)
    {
        ActivityContext.TryParse(envelope.TraceParent, envelope.TraceState, out var parent);
        var activity = Source.StartActivity($"process {envelope.Topic}", ActivityKind.Consumer, parent);
        Tag(activity, envelope, system, "process");
        activity?.SetTag("messaging.consumer.group.name", consumerGroup);
        return activity;
    }

    /// <summary>The traceparent to write into the CloudEvent: the publish span's, else the one it came with.</summary>
    public static EventEnvelope WithTraceOf(EventEnvelope envelope, Activity? activity) =>
        activity is null
            ? envelope
            : envelope with { TraceParent = activity.Id, TraceState = activity.TraceStateString };

    private static void Tag(Activity? activity, EventEnvelope envelope, string system, string operation)
    {
        if (activity is null)
            return;
        activity.SetTag("messaging.system", system);
        activity.SetTag("messaging.operation.type", operation);
        activity.SetTag("messaging.operation.name", operation);
        activity.SetTag("messaging.destination.name", envelope.Topic);
        activity.SetTag("messaging.message.id", envelope.Id);
        activity.SetTag("cloudevents.event_id", envelope.Id);
        activity.SetTag("cloudevents.event_type", envelope.Type);
        activity.SetTag("cloudevents.event_source", envelope.Source);
        if (envelope.DisputeId is not null)
            activity.SetTag(DisputeIdTag, envelope.DisputeId);
    }
}
