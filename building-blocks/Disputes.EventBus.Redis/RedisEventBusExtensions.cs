using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Disputes.EventBus.Redis;

public static class RedisEventBusExtensions
{
    /// <summary>The Redis Streams transport: publisher, subscriber and de-duplication store.</summary>
    public static IServiceCollection AddRedisStreamsEventBus(this IServiceCollection services, IConfiguration configuration, IEventCatalog catalog)
    {
        services.AddEventBusCore(configuration, catalog);
        services.TryAddSingleton<RedisProcessedEvents>();
        services.TryAddSingleton<IProcessedEvents>(sp => sp.GetRequiredService<RedisProcessedEvents>());
        services.TryAddSingleton<IEventPublisher, RedisEventPublisher>();
        services.TryAddSingleton<IAppliedVersions, RedisAppliedVersions>();
        services.TryAddSingleton<EventBusReadiness>();
        services.AddHostedService<RedisStreamSubscriber>();
        services.AddHostedService<ConsumerLagSampler>();
        return services;
    }
}
