using Grpc.HealthCheck;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using Yarp.ReverseProxy;
using static Grpc.Health.V1.HealthCheckResponse.Types;

namespace Disputes.Gateway.Health;

public sealed class BackendHealthOptions
{
    public const string SectionName = "Gateway:Health";

    /// <summary>How often the gRPC health statuses are brought up to date (Watch streams hear of a change then).</summary>
    public TimeSpan ReportInterval { get; set; } = TimeSpan.FromSeconds(1);
}

/// <summary>
/// Keeps the gateway's gRPC health statuses current: "" is the gateway's own health (its
/// readiness checks, none of which is a backend, so one backend down never takes every gateway
/// out of service), and each proxied service's name the health of the backend behind it.
/// </summary>
public sealed class BackendHealthReporter(
    HealthServiceImpl health,
    HealthCheckService ownChecks,
    IProxyStateLookup proxy,
    TimeProvider time,
    IOptions<BackendHealthOptions> options,
    ILogger<BackendHealthReporter> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stopping)
    {
        using var timer = new PeriodicTimer(options.Value.ReportInterval, time);
        try
        {
            do
            {
                try
                {
                    await ReportAsync(stopping);
                }
                catch (Exception e) when (!stopping.IsCancellationRequested)
                {
                    // One failed round leaves the last statuses standing; the next round tries again.
                    logger.LogWarning(e, "The gRPC health statuses could not be brought up to date.");
                }
            }
            while (await timer.WaitForNextTickAsync(stopping));
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
        }
        finally
        {
            // A gateway shutting down tells its probes and watchers before it stops answering.
            health.SetStatus("", ServingStatus.NotServing);
        }
    }

    public async Task ReportAsync(CancellationToken cancel)
    {
        var own = await ownChecks.CheckHealthAsync(cancel);
        health.SetStatus("", own.Status == HealthStatus.Unhealthy ? ServingStatus.NotServing : ServingStatus.Serving);
        foreach (var service in ProxiedServices.Names)
            health.SetStatus(service, BackendStatus.Of(proxy, service));
    }
}
