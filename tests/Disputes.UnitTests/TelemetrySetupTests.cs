using System.Diagnostics;
using Disputes.Escalation.Timers;
using Disputes.EventBus;
using Disputes.Notification.Sending;
using Disputes.ServiceDefaults.Telemetry;
using Disputes.V1;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace Disputes.UnitTests;

/// <summary>What every process's OpenTelemetry setup (ConfigureOpenTelemetry) exports: the suite's meters, and the local spans file when set.</summary>
public sealed class TelemetrySetupTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), $"disputes-telemetry-{Guid.NewGuid():N}");

    public void Dispose()
    {
        if (Directory.Exists(_directory))
            Directory.Delete(_directory, recursive: true);
    }

    [Fact]
    public async Task The_bus_escalation_and_notification_meters_are_exported_with_the_process_telemetry()
    {
        var exported = new List<Metric>();
        var builder = WebApplication.CreateSlimBuilder();
        builder.ConfigureOpenTelemetry();
        builder.Services.ConfigureOpenTelemetryMeterProvider(metrics => metrics.AddInMemoryExporter(exported));
        await using var app = builder.Build();
        var provider = app.Services.GetRequiredService<MeterProvider>();

        EventBusMetrics.HandlerDuration("challenge-raised", "telemetry-setup", TimeSpan.FromMilliseconds(3), "System.InvalidOperationException");
        EventBusMetrics.ConsumerSampled("challenge-raised", "telemetry-setup", new ConsumerSample(1, 2, TimeSpan.FromSeconds(3), 4));
        EscalationMetrics.TimersPending(5);
        EscalationMetrics.TimerFired("stage", TimeSpan.FromSeconds(1));
        NotificationMetrics.Delivery(Channel.Webhook, DeliveryStatus.Delivered);
        provider.ForceFlush();

        var names = exported.Select(m => m.Name).ToHashSet();
        foreach (var name in new[]
        {
            "messaging.process.duration", "disputes.events.handler_failures", "disputes.consumer.lag", "disputes.consumer.pending",
            "disputes.consumer.oldest_pending.age", "disputes.deadletter.count", "disputes.escalation.timers.pending",
            "disputes.escalation.timer.lateness", "disputes.notification.deliveries",
        })
            Assert.Contains(name, names);
        Assert.Equal("s", exported.First(m => m.Name == "messaging.process.duration").Unit);
    }

    [Fact]
    public async Task With_a_spans_directory_set_the_process_appends_its_spans_to_a_file_of_its_own()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Configuration[OpenTelemetryExtensions.SpansDirectorySetting] = _directory;
        builder.Configuration["OTEL_SERVICE_NAME"] = "telemetry-setup";
        builder.ConfigureOpenTelemetry();
        await using var app = builder.Build();
        var provider = app.Services.GetRequiredService<TracerProvider>();
        using var source = new ActivitySource("Disputes.UnitTests.Setup");
        using (var span = source.StartActivity("fire timer"))
            span?.SetTag(EventBusTelemetry.DisputeIdTag, "01JD0000000000000000000002");
        provider.ForceFlush();

        var file = Assert.Single(Directory.GetFiles(_directory));
        Assert.Equal($"telemetry-setup-{Environment.ProcessId}.jsonl", Path.GetFileName(file));
        using var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        // Other tests' spans of Disputes.* sources may land here too while this provider listens: pick this one.
        var line = Assert.Single(new StreamReader(stream).ReadToEnd().Split('\n', StringSplitOptions.RemoveEmptyEntries),
            l => l.Contains("\"name\":\"fire timer\"", StringComparison.Ordinal));
        Assert.Contains("\"service\":\"telemetry-setup\"", line);
        Assert.Contains("\"disputeId\":\"01JD0000000000000000000002\"", line);
    }

    [Fact]
    public async Task The_gateways_health_probes_of_its_backends_are_not_recorded_and_its_proxied_calls_are()
    {
        var exported = new List<Activity>();
        var builder = WebApplication.CreateSlimBuilder();
        builder.ConfigureOpenTelemetry();
        builder.Services.ConfigureOpenTelemetryTracerProvider(tracing => tracing.AddInMemoryExporter(exported));
        await using var app = builder.Build();
        var provider = app.Services.GetRequiredService<TracerProvider>();
        using var yarp = new ActivitySource(UnrecordedHealthChecks.YarpSource);

        using (yarp.StartActivity("proxy.cluster_health_checks"))
        using (yarp.StartActivity("proxy.destination_health_check"))
        {
        }
        using (yarp.StartActivity("proxy.forwarder"))
        {
        }
        provider.ForceFlush();

        var names = exported.Where(a => a.Source.Name == UnrecordedHealthChecks.YarpSource).Select(a => a.OperationName).ToList();
        Assert.Equal(["proxy.forwarder"], names);
        Assert.True(UnrecordedHealthChecks.IsHealthProbe(new HttpRequestMessage(HttpMethod.Get, "http://127.0.0.1:5101/health/ready")));
        Assert.False(UnrecordedHealthChecks.IsHealthProbe(new HttpRequestMessage(HttpMethod.Post, "http://127.0.0.1:5101/disputes.v1.ChallengeService/RaiseChallenge")));
    }
}
