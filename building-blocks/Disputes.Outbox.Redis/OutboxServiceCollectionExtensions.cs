using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Disputes.Outbox.Redis;

public static class OutboxServiceCollectionExtensions
{
    /// <summary>The Redis outbox and its relay, which publishes through whichever transport is registered.</summary>
    public static IServiceCollection AddRedisOutbox(this IServiceCollection services)
    {
        services.TryAddSingleton<RedisOutbox>();
        services.AddHostedService<OutboxRelay>();
        return services;
    }
}
