using Dapr.Client;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Disputes.EventBus.Dapr;

public static class DaprEventBusExtensions
{
    /// <summary>
    /// The Dapr transport. The sidecar does the delivery, retries (resiliency policy) and
    /// dead-lettering; the app keeps de-duplication, since delivery is still at least once.
    /// </summary>
    public static IServiceCollection AddDaprEventBus(this IServiceCollection services, IConfiguration configuration, IEventCatalog catalog)
    {
        services.AddEventBusCore(configuration, catalog);
        // DaprClient reads DAPR_GRPC_ENDPOINT / DAPR_GRPC_PORT, which the sidecar injector sets.
        services.TryAddSingleton(_ => new DaprClientBuilder().Build());
        services.TryAddSingleton<IEventPublisher, DaprEventPublisher>();
        return services;
    }
}
