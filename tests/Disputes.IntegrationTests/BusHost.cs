using System.Collections.Concurrent;
using Disputes.EventBus;
using Disputes.EventBus.Redis;
using Disputes.V1.Events;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
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

    public static async Task<BusHost> StartAsync(RedisServerFixture redis, string appId, Action<IServiceCollection>? configure = null,
        int failuresBeforeSuccess = 0, string processingTimeout = "00:00:30", bool withOutbox = false)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["EventBus:AppId"] = appId,
            ["EventBus:MaxDeliveryAttempts"] = "3",
            ["EventBus:RetryBackoff"] = "00:00:00.010",
            ["EventBus:PollInterval"] = "00:00:00.020",
            ["EventBus:ProcessingTimeout"] = processingTimeout,
        });
        builder.Services.AddSingleton<IConnectionMultiplexer>(_ => ConnectionMultiplexer.Connect(redis.ConnectionString));
        builder.Services.AddRedisStreamsEventBus(builder.Configuration);
        if (withOutbox)
            builder.Services.AddRedisOutbox();
        builder.Services.AddEventHandler<ChallengeRaised, RecordingHandler>();
        builder.Services.AddSingleton(new RecordingHandler(failuresBeforeSuccess));
        configure?.Invoke(builder.Services);
        var host = builder.Build();
        await host.StartAsync();
        return new BusHost(host);
    }

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
