using Disputes.EventBus.Dapr;
using Disputes.EventBus.Redis;
using Disputes.Outbox.Redis;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Disputes.EventBus.Hosting;

public static class EventBusHostingExtensions
{
    /// <summary>
    /// The transport named by <c>EventBus:Transport</c>, carrying the events <paramref name="catalog"/> describes,
    /// and the Redis outbox every service writes to.
    /// </summary>
    public static WebApplicationBuilder AddEventBus(this WebApplicationBuilder builder, IEventCatalog catalog)
    {
        var transport = TransportOf(builder.Configuration);
        switch (transport.ToLowerInvariant())
        {
            case "redis":
                builder.Services.AddRedisStreamsEventBus(builder.Configuration, catalog);
                break;
            case "dapr":
                builder.Services.AddDaprEventBus(builder.Configuration, catalog);
                // Dapr's pubsub.redis keeps the same streams and groups (group = app id): the same gauges.
                builder.Services.AddHostedService<ConsumerLagSampler>();
                builder.Services.AddSingleton<RedisProcessedEvents>();
                builder.Services.AddSingleton<IProcessedEvents>(sp => sp.GetRequiredService<RedisProcessedEvents>());
                builder.Services.AddSingleton<IAppliedVersions, RedisAppliedVersions>();
                break;
            case "inmemory":
                builder.Services.AddInMemoryEventBus(builder.Configuration, catalog);
                break;
            default:
                throw new InvalidOperationException($"EventBus:Transport \"{transport}\" is not one of Redis, Dapr, InMemory.");
        }
        builder.Services.AddRedisOutbox();
        builder.Services.AddHealthChecks().AddEventBusChecks(consumerGroups: transport.Equals("redis", StringComparison.OrdinalIgnoreCase));
        return builder;
    }

    /// <summary>Dapr's subscription endpoints, when Dapr delivers the events.</summary>
    public static WebApplication MapEventBusEndpoints(this WebApplication app)
    {
        if (TransportOf(app.Configuration).Equals("dapr", StringComparison.OrdinalIgnoreCase))
            app.MapDaprSubscriptions();
        return app;
    }

    private static string TransportOf(IConfiguration configuration) =>
        configuration[$"{EventBusOptions.SectionName}:{nameof(EventBusOptions.Transport)}"] ?? new EventBusOptions().Transport;
}
