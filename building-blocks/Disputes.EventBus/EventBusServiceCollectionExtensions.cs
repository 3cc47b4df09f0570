using Google.Protobuf;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Disputes.EventBus;

public static class EventBusServiceCollectionExtensions
{
    /// <summary>The transport-independent part of the bus: options, envelopes (topics and types from <paramref name="catalog"/>), subscriptions and dispatch.</summary>
    public static IServiceCollection AddEventBusCore(this IServiceCollection services, IConfiguration configuration, IEventCatalog catalog)
    {
        services.AddOptions<EventBusOptions>()
            .Bind(configuration.GetSection(EventBusOptions.SectionName))
            .Validate(o => o.AppId.Length > 0, "EventBus:AppId is required")
            .Validate(o => o.MaxDeliveryAttempts > 0, "EventBus:MaxDeliveryAttempts must be positive")
            .Validate(o => o.MaxPublishAttempts > 0, "EventBus:MaxPublishAttempts must be positive")
            .Validate(o => o.MaxStreamLength > 0, "EventBus:MaxStreamLength must be positive")
            .Validate(o => o.BlockTime >= TimeSpan.FromMilliseconds(1) && o.BlockTime <= TimeSpan.FromMinutes(1),
                "EventBus:BlockTime must be between 1 ms and 1 minute")
            .Validate(o => o.OutboxSweepInterval > TimeSpan.Zero, "EventBus:OutboxSweepInterval must be positive")
            .Validate(o => o.DeduplicationWindow > TimeSpan.Zero, "EventBus:DeduplicationWindow must be positive")
            .Validate(o => o.EffectiveHandlerTimeout < o.ProcessingTimeout,
                "EventBus:HandlerTimeout must be below EventBus:ProcessingTimeout, or another replica reclaims what is still being handled")
            .ValidateOnStart();
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton(catalog);
        services.TryAddSingleton<IntegrationEventFactory>();
        services.TryAddSingleton<EventSubscriptions>();
        services.TryAddSingleton<EventDispatcher>();
        return services;
    }

    /// <summary>Subscribes this app to <typeparamref name="TEvent"/>'s topic with <typeparamref name="THandler"/>.</summary>
    public static IServiceCollection AddEventHandler<TEvent, THandler>(this IServiceCollection services)
        where TEvent : IMessage<TEvent>, new()
        where THandler : class, IIntegrationEventHandler<TEvent>
    {
        services.AddScoped<THandler>();
        services.AddSingleton(sp => EventSubscription.For<TEvent, THandler>(sp.GetRequiredService<IEventCatalog>()));
        return services;
    }

    /// <summary>The in-memory transport, for unit tests.</summary>
    public static IServiceCollection AddInMemoryEventBus(this IServiceCollection services, IConfiguration configuration, IEventCatalog catalog)
    {
        services.AddEventBusCore(configuration, catalog);
        services.TryAddSingleton<IProcessedEvents, InMemoryProcessedEvents>();
        services.TryAddSingleton<IAppliedVersions, InMemoryAppliedVersions>();
        services.TryAddSingleton<InMemoryEventBus>();
        services.TryAddSingleton<IEventPublisher>(sp => sp.GetRequiredService<InMemoryEventBus>());
        return services;
    }
}
