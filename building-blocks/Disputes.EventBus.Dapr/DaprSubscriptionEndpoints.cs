using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Disputes.EventBus.Dapr;

/// <summary>
/// Dapr's programmatic subscription: <c>GET /dapr/subscribe</c> lists this app's topics,
/// routes and dead-letter topics; the sidecar posts each CloudEvent to its route and reads
/// the answer (SUCCESS, RETRY or DROP) from the body.
/// </summary>
public static class DaprSubscriptionEndpoints
{
    private const string Group = "/dapr";
    public const string RoutePrefix = Group + "/events/";

    /// <summary>Set in the app's environment by the sidecar injector when the pod names an app token secret.</summary>
    public const string AppApiTokenVariable = "APP_API_TOKEN";

    /// <summary>The header in which the sidecar then presents that token on every call to the app.</summary>
    public const string AppApiTokenHeader = "dapr-api-token";

    public static IEndpointRouteBuilder MapDaprSubscriptions(this IEndpointRouteBuilder endpoints)
    {
        var dapr = endpoints.MapGroup(Group).AddEndpointFilter(RequireSidecarTokenAsync);
        dapr.MapGet("/subscribe", (EventSubscriptions subscriptions, IOptions<EventBusOptions> options) =>
            Results.Json(subscriptions.All.Select(s => new DaprSubscription(
                options.Value.PubSubName, s.Topic, RoutePrefix + s.Topic, s.DeadLetterTopic))));
        dapr.MapPost("/events/{topic}", ReceiveAsync);
        return endpoints;
    }

    /// <summary>
    /// Only the sidecar, which presents the app API token, may deliver events. Fails closed: with no
    /// token configured every call is refused, except in Development (a local sidecar without one).
    /// </summary>
    private static async ValueTask<object?> RequireSidecarTokenAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var services = context.HttpContext.RequestServices;
        var expected = services.GetRequiredService<IConfiguration>()[AppApiTokenVariable];
        if (string.IsNullOrEmpty(expected))
        {
            if (!services.GetRequiredService<IHostEnvironment>().IsDevelopment())
                return Results.Unauthorized();
        }
        else
        {
            var presented = context.HttpContext.Request.Headers[AppApiTokenHeader].ToString();
            if (!CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(presented), Encoding.UTF8.GetBytes(expected)))
                return Results.Unauthorized();
        }
        return await next(context);
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
