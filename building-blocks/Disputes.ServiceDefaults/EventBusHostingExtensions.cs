using Disputes.EventBus;
using Disputes.EventBus.Dapr;
using Disputes.EventBus.Redis;
using Disputes.Outbox.Redis;
using Disputes.Procedure;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Disputes.ServiceDefaults.Health;
using Microsoft.Extensions.DependencyInjection;

namespace Disputes.ServiceDefaults;

public static class EventBusHostingExtensions
{
    /// <summary>The transport named by <c>EventBus:Transport</c>, and the Redis outbox every service writes to.</summary>
    public static WebApplicationBuilder AddEventBus(this WebApplicationBuilder builder)
    {
        var transport = TransportOf(builder.Configuration);
        switch (transport.ToLowerInvariant())
        {
            case "redis":
                builder.Services.AddRedisStreamsEventBus(builder.Configuration, IntegrationEvents.Catalog);
                break;
            case "dapr":
                builder.Services.AddDaprEventBus(builder.Configuration, IntegrationEvents.Catalog);
                // Dapr's pubsub.redis keeps the same streams and groups (group = app id): the same gauges.
                builder.Services.AddHostedService<ConsumerLagSampler>();
                builder.Services.AddSingleton<RedisProcessedEvents>();
                builder.Services.AddSingleton<IProcessedEvents>(sp => sp.GetRequiredService<RedisProcessedEvents>());
                builder.Services.AddSingleton<IAppliedVersions, RedisAppliedVersions>();
                break;
            case "inmemory":
                builder.Services.AddInMemoryEventBus(builder.Configuration, IntegrationEvents.Catalog);
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
