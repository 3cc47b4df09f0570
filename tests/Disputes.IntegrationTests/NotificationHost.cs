using Disputes.EventBus;
using Disputes.Notification.Extensions;
using Disputes.Procedure;
using Disputes.ServiceDefaults;
using Disputes.ServiceDefaults.Identity;
using Disputes.V1;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Disputes.IntegrationTests;

/// <summary>
/// The notification service as its Program.cs builds it, on free loopback ports against the
/// test's redis-server, with short retry delays; events are published to it over the real bus.
/// </summary>
public sealed class NotificationHost : IAsyncDisposable
{
    private readonly WebApplication _app;

    private NotificationHost(WebApplication app, GrpcChannel channel, AuthOptions auth)
    {
        _app = app;
        Channel = channel;
        Auth = auth;
        Client = new NotificationService.NotificationServiceClient(channel);
    }

    public GrpcChannel Channel { get; }

    public AuthOptions Auth { get; }

    public NotificationService.NotificationServiceClient Client { get; }

    public IServiceProvider Services => _app.Services;

    public static async Task<NotificationHost> StartAsync(RedisServerFixture redis, IDictionary<string, string?>? settings = null,
        Action<IServiceCollection>? services = null)
    {
        var auth = new AuthOptions { SigningKey = DevelopmentTokens.NewSigningKey() };
        var grpcPort = RedisServerFixture.FreePort();
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = "Development" });
        builder.Logging.ClearProviders();
        var configuration = new Dictionary<string, string?>
        {
            ["Kestrel:Endpoints:Grpc:Url"] = $"http://127.0.0.1:{grpcPort}",
            ["Kestrel:Endpoints:Grpc:Protocols"] = "Http2",
            // The test output holds a service's appsettings.json: every address it names is replaced.
            ["Kestrel:Endpoints:Http:Url"] = $"http://127.0.0.1:{RedisServerFixture.FreePort()}",
            ["Kestrel:Endpoints:Http:Protocols"] = "Http1",
            ["ConnectionStrings:redis"] = redis.ConnectionString,
            ["Auth:SigningKey"] = auth.SigningKey,
            ["EventBus:Transport"] = "Redis",
            ["EventBus:AppId"] = "notification",
            ["EventBus:MaxDeliveryAttempts"] = "3",
            ["EventBus:RetryBackoff"] = "00:00:00.010",
            ["EventBus:OutboxSweepInterval"] = "00:00:00.200",
            ["Notification:Webhooks:AllowLoopback"] = "true",
            ["Notification:Sending:MaxAttempts"] = "4",
            ["Notification:Sending:FirstRetryDelay"] = "00:00:00.020",
            ["Notification:Sending:MaxRetryDelay"] = "00:00:00.200",
            ["Notification:Sending:AttemptTimeout"] = "00:00:05",
            ["Notification:Sending:BreakerMinimumThroughput"] = "100",
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
            configuration[key] = value;
        builder.Configuration.AddInMemoryCollection(configuration);
        builder.AddDisputesService();
        builder.AddNotificationServices();
        services?.Invoke(builder.Services);
        var app = builder.Build();
        app.MapDefaultEndpoints();
        app.MapNotificationApi();
        await app.StartAsync();
        return new NotificationHost(app, GrpcChannel.ForAddress($"http://127.0.0.1:{grpcPort}"), auth);
    }

    /// <summary>Publishes an event on the bus as its publisher would; returns its envelope, to redeliver it.</summary>
    public async Task<EventEnvelope> PublishAsync(IMessage @event)
    {
        var envelope = Services.GetRequiredService<IntegrationEventFactory>().Create(@event) with { Source = "test" };
        await PublishAsync(envelope);
        return envelope;
    }

    public Task PublishAsync(EventEnvelope envelope) =>
        Services.GetRequiredService<IEventPublisher>().PublishAsync(envelope, CancellationToken.None);

    public Metadata Bearer(string professional, string agency, params string[] roles) => new()
    {
        { "authorization", "Bearer " + DevelopmentTokens.Mint(Auth, professional, agency, roles.Length > 0 ? roles : [DisputeRoles.Practitioner], TimeSpan.FromMinutes(30), DateTimeOffset.UtcNow) },
    };

    public async ValueTask DisposeAsync()
    {
        Channel.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
