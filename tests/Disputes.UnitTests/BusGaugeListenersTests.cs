using System.Diagnostics.Metrics;
using Disputes.EventBus;
using Disputes.EventBus.Redis;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using OpenTelemetry;
using OpenTelemetry.Metrics;

namespace Disputes.UnitTests;

[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class MeterListenersCollection
{
    /// <summary>Instruments are process-wide: these tests run alone, so no other test's listener is enabled meanwhile.</summary>
    public const string Name = "meter listeners";
}

/// <summary>The consumer lag sampler samples only while something listens to the bus's gauges.</summary>
[Collection(MeterListenersCollection.Name)]
public sealed class BusGaugeListenersTests
{
    [Fact]
    public void A_listener_that_enables_the_bus_gauges_makes_them_observed()
    {
        using var gauges = new ConsumerLagSampler.BusGaugeListeners();
        using var reader = new MeterListener
        {
            InstrumentPublished = (instrument, listener) =>
            {
                if (instrument.Meter.Name == EventBusMetrics.MeterName && instrument.Name == "disputes.consumer.lag")
                    listener.EnableMeasurementEvents(instrument);
            },
        };
        reader.Start();

        Assert.True(gauges.Observed);
    }

    [Fact]
    public void With_nobody_listening_the_gauges_are_not_observed_and_watching_does_not_enable_them()
    {
        using var gauges = new ConsumerLagSampler.BusGaugeListeners();

        Assert.False(gauges.Observed);
    }

    [Fact]
    public async Task OpenTelemetry_observes_them_only_with_a_metrics_reader()
    {
        using var gauges = new ConsumerLagSampler.BusGaugeListeners();

        // As a local run has it: the meters added, no exporter configured.
        using (var withoutReader = await StartAsync(metrics => { }))
            Assert.False(gauges.Observed);

        using (var withReader = await StartAsync(metrics => metrics.AddReader(new PeriodicExportingMetricReader(new DiscardingExporter()))))
            Assert.True(gauges.Observed);
        Assert.False(gauges.Observed);
    }

    private static async Task<IHost> StartAsync(Action<MeterProviderBuilder> reader)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Services.AddOpenTelemetry().WithMetrics(metrics =>
        {
            metrics.AddMeter("Disputes.*");
            reader(metrics);
        });
        var host = builder.Build();
        await host.StartAsync();
        return host;
    }

    private sealed class DiscardingExporter : BaseExporter<Metric>
    {
        public override ExportResult Export(in Batch<Metric> batch) => ExportResult.Success;
    }
}
