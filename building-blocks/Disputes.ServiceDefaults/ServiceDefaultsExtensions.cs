using Disputes.ServiceDefaults.Grpc;
using Disputes.ServiceDefaults.Health;
using Disputes.ServiceDefaults.Identity;
using Disputes.ServiceDefaults.Telemetry;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Disputes.ServiceDefaults;

public static class ServiceDefaultsExtensions
{
    public const string LivenessPath = "/health/live";
    public const string ReadinessPath = "/health/ready";

    /// <summary>Telemetry, health and identity: what every process of the suite, the gateway included, has.</summary>
    public static WebApplicationBuilder AddServiceDefaults(this WebApplicationBuilder builder)
    {
        builder.ConfigureOpenTelemetry();
        builder.Services.AddHealthChecks()
            .AddCheck("self", () => HealthCheckResult.Healthy(), [HealthTags.Live]);
        builder.AddDisputesAuthentication();
        builder.Services.AddSingleton(TimeProvider.System);
        return builder;
    }

    /// <summary>What every gRPC service of the suite adds on top: gRPC conventions and Redis. The service picks its event bus.</summary>
    public static WebApplicationBuilder AddDisputesService(this WebApplicationBuilder builder)
    {
        builder.AddServiceDefaults();
        builder.AddDisputesGrpc();
        builder.AddRedis();
        return builder;
    }

    /// <summary>Liveness (the process answers) and readiness (its dependencies answer), on every port.</summary>
    public static WebApplication MapDefaultEndpoints(this WebApplication app)
    {
        app.MapHealthChecks(LivenessPath, new HealthCheckOptions { Predicate = check => check.Tags.Contains(HealthTags.Live) });
        app.MapHealthChecks(ReadinessPath);
        return app;
    }
}
