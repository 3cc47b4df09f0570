namespace Disputes.Deploy.Tests.Infrastructure;

/// <summary>The suite's own processes: the four services and the gateway.</summary>
public sealed record ProcessInfo(string Name, string AppSettingsPath, string Assembly, bool IsDaprService)
{
    public AppSettings Settings => AppSettings.Load(Repo.Combine(AppSettingsPath.Split('/')));

    public override string ToString() => Name;
}

public static class Processes
{
    public static readonly IReadOnlyList<ProcessInfo> All =
    [
        new("challenge", "services/challenge/appsettings.json", "Disputes.Challenge.dll", IsDaprService: true),
        new("escalation", "services/escalation/appsettings.json", "Disputes.Escalation.dll", IsDaprService: true),
        new("notification", "services/notification/appsettings.json", "Disputes.Notification.dll", IsDaprService: true),
        new("records", "services/records/appsettings.json", "Disputes.Records.dll", IsDaprService: true),
        new("gateway", "gateway/appsettings.json", "Disputes.Gateway.dll", IsDaprService: false),
    ];

    public static IEnumerable<ProcessInfo> Services => All.Where(p => p.IsDaprService);

    public static ProcessInfo Named(string name) => All.Single(p => p.Name == name);

    /// <summary>
    /// Variables a process reads besides its appsettings.json keys: the OpenTelemetry SDK's, the host's
    /// environment name, and the runtime's (DOTNET_*). DAPR_* are injected by the sidecar.
    /// </summary>
    public static bool IsStandardVariable(string name) =>
        name is "OTEL_EXPORTER_OTLP_ENDPOINT" or "OTEL_EXPORTER_OTLP_PROTOCOL" or "OTEL_SERVICE_NAME"
            or "OTEL_RESOURCE_ATTRIBUTES" or "OTEL_TRACES_SAMPLER" or "OTEL_TRACES_SAMPLER_ARG" or "ASPNETCORE_ENVIRONMENT" or "DAPR_GRPC_PORT" or "DAPR_HTTP_PORT"
        || name.StartsWith("DOTNET_", StringComparison.Ordinal);
}
