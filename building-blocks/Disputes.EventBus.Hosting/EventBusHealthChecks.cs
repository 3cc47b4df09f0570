using Disputes.EventBus;
using Disputes.EventBus.Redis;
using Disputes.Outbox.Redis;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Disputes.EventBus.Hosting;

public static class EventBusHealthChecks
{
    private static readonly TimeSpan CheckTimeout = TimeSpan.FromSeconds(2);

    /// <summary>
    /// Readiness of the bus: the outbox is being published (its oldest entry is young enough) and,
    /// with the Redis Streams subscriber, this app's consumer groups exist.
    /// </summary>
    public static IHealthChecksBuilder AddEventBusChecks(this IHealthChecksBuilder checks, bool consumerGroups)
    {
        checks.AddCheck<OutboxHealthCheck>("outbox", timeout: CheckTimeout);
        if (consumerGroups)
            checks.AddCheck<ConsumerGroupsHealthCheck>("consumer-groups", timeout: CheckTimeout);
        return checks;
    }
}

/// <summary>Not ready until the subscriber has created this app's consumer groups.</summary>
public sealed class ConsumerGroupsHealthCheck(EventBusReadiness readiness) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(readiness.ConsumerGroupsCreated
            ? HealthCheckResult.Healthy("consumer groups exist")
            : HealthCheckResult.Unhealthy("consumer groups are not created yet"));
}

/// <summary>Degraded, then unhealthy, as the oldest unpublished outbox entry ages past the configured bounds.</summary>
public sealed class OutboxHealthCheck(IConnectionMultiplexer redis, RedisOutbox outbox, IOptions<EventBusOptions> options, TimeProvider timeProvider)
    : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        TimeSpan age;
        try
        {
            age = await outbox.OldestEntryAgeAsync(redis.GetDatabase(), timeProvider.GetUtcNow()).WaitAsync(cancellationToken);
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            return HealthCheckResult.Unhealthy("the outbox cannot be read", ex);
        }
        var data = new Dictionary<string, object> { ["oldest_entry_age_seconds"] = Math.Round(age.TotalSeconds, 1) };
        var bounds = options.Value;
        if (age > bounds.OutboxAgeUnhealthy)
            return HealthCheckResult.Unhealthy($"the oldest outbox entry has waited {age.TotalSeconds:0} s", data: data);
        if (age > bounds.OutboxAgeDegraded)
            return HealthCheckResult.Degraded($"the oldest outbox entry has waited {age.TotalSeconds:0} s", data: data);
        return HealthCheckResult.Healthy($"oldest outbox entry {age.TotalSeconds:0.0} s", data);
    }
}
