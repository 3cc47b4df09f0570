using Disputes.Gateway.Health;
using Disputes.ServiceDefaults.Health;
using Grpc.HealthCheck;
using Grpc.Reflection;
using static Grpc.Health.V1.HealthCheckResponse.Types;

namespace Disputes.Gateway.Extensions;

/// <summary>
/// The gRPC services the gateway answers itself rather than proxies: health (the gateway's own
/// and each backend's) and reflection for all four services, since a route reaches one backend only.
/// </summary>
public static class GatewayGrpcExtensions
{
    public static WebApplicationBuilder AddGatewayGrpc(this WebApplicationBuilder builder)
    {
        builder.Services.AddGrpc();
        builder.Services.AddOptions<BackendHealthOptions>().BindConfiguration(BackendHealthOptions.SectionName);
        builder.Services.AddSingleton(_ =>
        {
            var health = new HealthServiceImpl();
            // Known from the start, so a probe never hears NOT_FOUND for a name the gateway serves.
            foreach (var service in ProxiedServices.Names.Prepend(""))
                health.SetStatus(service, ServingStatus.NotServing);
            // The liveness probe's name: the process answers, whatever its readiness or its backends.
            health.SetStatus(GrpcHealthNames.Liveness, ServingStatus.Serving);
            return health;
        });
        builder.Services.AddHostedService<BackendHealthReporter>();

        // What the gateway serves under each name: the proxied services, and health and reflection themselves.
        var described = ProxiedServices.Descriptors
            .Append(Grpc.Health.V1.Health.Descriptor)
            .Append(Grpc.Reflection.V1.ServerReflection.Descriptor)
            .Append(Grpc.Reflection.V1Alpha.ServerReflection.Descriptor)
            .ToArray();
        builder.Services.AddSingleton(new ReflectionServiceImpl(described));
        builder.Services.AddSingleton(new ReflectionV1ServiceImpl(described));
        return builder;
    }

    /// <summary>Anonymous like the services' own: probes carry no token, and the API's shape is in the published protos.</summary>
    public static WebApplication MapGatewayGrpc(this WebApplication app)
    {
        app.MapGrpcService<HealthServiceImpl>();
        app.MapGrpcService<ReflectionServiceImpl>();
        app.MapGrpcService<ReflectionV1ServiceImpl>();
        return app;
    }
}
