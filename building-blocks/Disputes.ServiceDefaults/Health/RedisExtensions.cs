using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using StackExchange.Redis;

namespace Disputes.ServiceDefaults.Health;

public static class RedisExtensions
{
    public const string ConnectionStringName = "redis";

    /// <summary>One multiplexer per process from <c>ConnectionStrings:redis</c>, with a readiness check.</summary>
    public static WebApplicationBuilder AddRedis(this WebApplicationBuilder builder)
    {
        var connectionString = builder.Configuration.GetConnectionString(ConnectionStringName);
        if (string.IsNullOrWhiteSpace(connectionString))
            throw new InvalidOperationException("ConnectionStrings:redis is required (for example \"127.0.0.1:6379\").");

        builder.Services.AddSingleton<IConnectionMultiplexer>(_ =>
        {
            var options = ConfigurationOptions.Parse(connectionString);
            // Start even while Redis is down: readiness reports it, and the client reconnects.
            options.AbortOnConnectFail = false;
            return ConnectionMultiplexer.Connect(options);
        });
        // Bounded: a Redis that stops answering (paused, partitioned) makes the app not ready within seconds.
        builder.Services.AddHealthChecks().AddCheck<RedisHealthCheck>("redis", timeout: TimeSpan.FromSeconds(2));
        return builder;
    }
}

public sealed class RedisHealthCheck(IConnectionMultiplexer redis) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            // The client's own timeout is longer than the check's: give up when the check's runs out.
            var latency = await redis.GetDatabase().PingAsync().WaitAsync(cancellationToken);
            return HealthCheckResult.Healthy($"ping {latency.TotalMilliseconds:0.0} ms");
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            return HealthCheckResult.Unhealthy("Redis does not answer", ex);
        }
    }
}
