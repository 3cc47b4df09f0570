using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Disputes.EventBus.Dapr;

/// <summary>
/// Dapr's programmatic subscription: <c>GET /dapr/subscribe</c> lists this app's topics,
/// routes and dead-letter topics; the sidecar posts each CloudEvent to its route and reads
/// the answer (SUCCESS, RETRY or DROP) from the body.
/// </summary>
public static class DaprSubscriptionEndpoints
{
    public const string RoutePrefix = "/dapr/events/";

    public static IEndpointRouteBuilder MapDaprSubscriptions(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGet("/dapr/subscribe", (EventSubscriptions subscriptions, IOptions<EventBusOptions> options) =>
            Results.Json(subscriptions.All.Select(s => new DaprSubscription(
                options.Value.PubSubName, s.Topic, RoutePrefix + s.Topic, s.DeadLetterTopic))));

        endpoints.MapPost(RoutePrefix + "{topic}", ReceiveAsync);
        return endpoints;
    }

    private static async Task<IResult> ReceiveAsync(string topic, HttpRequest request, EventDispatcher dispatcher,
        IOptions<EventBusOptions> options, CancellationToken cancellationToken)
    {
        using var reader = new StreamReader(request.Body);
        var body = await reader.ReadToEndAsync(cancellationToken);
        var envelope = EventEnvelope.TryParse(body, topic, options.Value.PubSubName);
        if (envelope is null)
            return Answer(DispatchOutcome.Drop);

        // The route names the topic; the sidecar may rewrite the attribute for dead-letter deliveries.
        var outcome = await dispatcher.DispatchAsync(envelope with { Topic = topic }, "dapr", cancellationToken);
        return Answer(outcome);
    }

    private static IResult Answer(DispatchOutcome outcome) => Results.Json(new DaprAnswer(outcome switch
    {
        DispatchOutcome.Success => "SUCCESS",
        DispatchOutcome.Drop => "DROP",
        _ => "RETRY",
    }));

    private sealed record DaprSubscription(
        [property: JsonPropertyName("pubsubname")] string PubSubName,
        [property: JsonPropertyName("topic")] string Topic,
        [property: JsonPropertyName("route")] string Route,
        [property: JsonPropertyName("deadLetterTopic")] string DeadLetterTopic);

    private sealed record DaprAnswer([property: JsonPropertyName("status")] string Status);
}
