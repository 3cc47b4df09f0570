using Disputes.EventBus;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace Disputes.ServiceDefaults.Telemetry;

public static class OpenTelemetryExtensions
{
    /// <summary>Every ActivitySource and Meter of the suite starts with this.</summary>
    public const string SourcePrefix = "Disputes";

    /// <summary>A directory: when set, every process appends its finished spans there as JSON lines, one file per process.</summary>
    public const string SpansDirectorySetting = "Telemetry:SpansDirectory";

    /// <summary>
    /// Traces, metrics and logs for the process. Spans are always created (records entries
    /// carry their trace ids); they leave the process only when OTEL_EXPORTER_OTLP_ENDPOINT is set.
    /// </summary>
    public static WebApplicationBuilder ConfigureOpenTelemetry(this WebApplicationBuilder builder)
    {
        builder.Logging.AddOpenTelemetry(logging =>
        {
            logging.IncludeFormattedMessage = true;
            logging.IncludeScopes = true;
        });

        var telemetry = builder.Services.AddOpenTelemetry()
            .ConfigureResource(resource =>
            {
                // OTEL_SERVICE_NAME, when set, wins over the application name.
                if (string.IsNullOrEmpty(builder.Configuration["OTEL_SERVICE_NAME"]))
                    resource.AddService(builder.Environment.ApplicationName);
            })
            .WithMetrics(metrics => metrics
                .AddAspNetCoreInstrumentation()
                .AddHttpClientInstrumentation()
                .AddRuntimeInstrumentation()
                .AddMeter($"{SourcePrefix}.*"))
            .WithTracing(tracing => tracing
                .AddSource($"{SourcePrefix}.*", EventBusTelemetry.ActivitySourceName, UnrecordedHealthChecks.YarpSource)
                .AddAspNetCoreInstrumentation(options => options.Filter = context => !context.Request.Path.StartsWithSegments("/health"))
                .AddGrpcClientInstrumentation()
                .AddHttpClientInstrumentation(options => options.FilterHttpRequestMessage = request => !UnrecordedHealthChecks.IsHealthProbe(request))
                .AddProcessor(new UnrecordedHealthChecks())
                .AddSpansFile(builder));

        if (!string.IsNullOrWhiteSpace(builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]))
            telemetry.UseOtlpExporter();

        return builder;
    }

    /// <summary>The local spans file, without a collector (docs/operations.md); batched off the request path.</summary>
    private static TracerProviderBuilder AddSpansFile(this TracerProviderBuilder tracing, WebApplicationBuilder builder)
    {
        if (builder.Configuration[SpansDirectorySetting] is not { Length: > 0 } directory)
            return tracing;
        var service = builder.Configuration["OTEL_SERVICE_NAME"] is { Length: > 0 } named ? named : builder.Environment.ApplicationName;
        var rotation = SpansFileRotation.From(builder.Configuration);
        JsonLinesSpanExporter.DeleteExpired(directory, rotation.Retention, DateTimeOffset.UtcNow);
        var exporter = new JsonLinesSpanExporter(JsonLinesSpanExporter.FileFor(directory, service), service, rotation);
        return tracing.AddProcessor(new BatchActivityExportProcessor(exporter, scheduledDelayMilliseconds: 1_000));
    }
}
