using System.Collections.Concurrent;
using Disputes.EventBus;
using Disputes.EventBus.Hosting;
using Disputes.EventBus.Redis;
using Disputes.Outbox.Redis;
using Disputes.Procedure;
using Disputes.V1.Events;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Disputes.ServiceDefaults.Health;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace Disputes.IntegrationTests;

/// <summary>One app on the Redis Streams bus: its own connection, consumer group and handler.</summary>
public sealed class BusHost : IAsyncDisposable
{
    private readonly IHost _host;

    private BusHost(IHost host) => _host = host;

    public RecordingHandler Handler => _host.Services.GetRequiredService<RecordingHandler>();

    public IEventPublisher Publisher => _host.Services.GetRequiredService<IEventPublisher>();

    public IntegrationEventFactory Events => _host.Services.GetRequiredService<IntegrationEventFactory>();

    public RedisOutbox Outbox => _host.Services.GetRequiredService<RedisOutbox>();

    public IServiceProvider Services => _host.Services;

    /// <summary>True once the host began to stop by itself (a background service died of an exception).</summary>
    public bool Stopping => _host.Services.GetRequiredService<IHostApplicationLifetime>().ApplicationStopping.IsCancellationRequested;

    public Task<HealthReport> CheckHealthAsync() => _host.Services.GetRequiredService<HealthCheckService>().CheckHealthAsync();

    public static Task<BusHost> StartAsync(RedisServerFixture redis, string appId, Action<IServiceCollection>? configure = null,
        int failuresBeforeSuccess = 0, string processingTimeout = "00:00:30", bool withOutbox = false,
        IReadOnlyDictionary<string, string?>? settings = null, bool subscribesItself = false) =>
        StartAsync(redis.ConnectionString, appId, configure, failuresBeforeSuccess, processingTimeout, withOutbox, settings,
            subscribesItself: subscribesItself);

    public static async Task<BusHost> StartAsync(string connectionString, string appId, Action<IServiceCollection>? configure = null,
        int failuresBeforeSuccess = 0, string processingTimeout = "00:00:30", bool withOutbox = false,
        IReadOnlyDictionary<string, string?>? settings = null, bool start = true, bool subscribesItself = false)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["EventBus:AppId"] = appId,
            ["EventBus:MaxDeliveryAttempts"] = "3",
            ["EventBus:RetryBackoff"] = "00:00:00.010",
            ["EventBus:MaxRetryBackoff"] = "00:00:00.500",
            ["EventBus:OutboxSweepInterval"] = "00:00:00.200",
            ["EventBus:ProcessingTimeout"] = processingTimeout,
        });
        if (settings is not null)
            builder.Configuration.AddInMemoryCollection(settings);
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.Services.AddSingleton<IConnectionMultiplexer>(_ =>
        {
            var options = ConfigurationOptions.Parse(connectionString);
            options.AbortOnConnectFail = false;
            return ConnectionMultiplexer.Connect(options);
        });
        builder.Services.AddRedisStreamsEventBus(builder.Configuration, IntegrationEvents.Catalog);
        builder.Services.AddRedisOutbox();
        if (!withOutbox)
            builder.Services.Remove(builder.Services.Single(d => d.ServiceType == typeof(IHostedService) && d.ImplementationType == typeof(OutboxRelay)));
        builder.Services.AddHealthChecks()
            .AddCheck<RedisHealthCheck>("redis", timeout: TimeSpan.FromSeconds(2))
            .AddEventBusChecks(consumerGroups: true);
        if (configure is null || !subscribesItself)
        {
            builder.Services.AddEventHandler<ChallengeRaised, RecordingHandler>();
            builder.Services.AddSingleton(new RecordingHandler(failuresBeforeSuccess));
        }
        configure?.Invoke(builder.Services);
        var host = builder.Build();
        if (start)
            await host.StartAsync();
        return new BusHost(host);
    }

    public Task StartAsync() => _host.StartAsync();

    /// <summary>Stops the host, giving its background services until <paramref name="cancellationToken"/> to end.</summary>
    public Task StopAsync(CancellationToken cancellationToken) => _host.StopAsync(cancellationToken);

    public async ValueTask DisposeAsync()
    {
        await _host.StopAsync();
        _host.Dispose();
    }
}

public sealed class RecordingHandler(int failuresBeforeSuccess) : IIntegrationEventHandler<ChallengeRaised>
{
    private int _attempts;

    public ConcurrentQueue<(ChallengeRaised Event, EventContext Context)> Handled { get; } = new();

    public int Attempts => Volatile.Read(ref _attempts);

    public Task HandleAsync(ChallengeRaised @event, EventContext context, CancellationToken cancellationToken)
    {
        if (Interlocked.Increment(ref _attempts) <= failuresBeforeSuccess)
            throw new InvalidOperationException("the handler's store is down");
        Handled.Enqueue((@event, context));
        return Task.CompletedTask;
    }
}
