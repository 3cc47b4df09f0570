using Disputes.Escalation.Extensions;
using Disputes.EventBus;
using Disputes.EventBus.Redis;
using Disputes.Outbox.Redis;
using Disputes.Procedure;
using Disputes.ServiceDefaults;
using Disputes.ServiceDefaults.Identity;
using Google.Protobuf;
using Google.Protobuf.Reflection;
using Grpc.Core;
using Grpc.Net.Client;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace Disputes.IntegrationTests;

/// <summary>
/// The escalation service in process on a test server, against the real redis-server: its gRPC
/// API over a real channel, its handlers, stores and timer poller. With a fake clock, the bus's
/// own loops are left out (they would wait on the fake clock): events are read from its outbox.
/// </summary>
public sealed class EscalationTestHost : IAsyncDisposable
{
    public const string OutboxApp = "escalation";

    private readonly WebApplication _app;

    private EscalationTestHost(WebApplication app, AuthOptions auth)
    {
        _app = app;
        Auth = auth;
        var server = app.GetTestServer();
        Channel = GrpcChannel.ForAddress(server.BaseAddress, new GrpcChannelOptions { HttpHandler = server.CreateHandler() });
        Client = new V1.EscalationService.EscalationServiceClient(Channel);
    }

    public AuthOptions Auth { get; }

    public GrpcChannel Channel { get; }

    public V1.EscalationService.EscalationServiceClient Client { get; }

    public IServiceProvider Services => _app.Services;

    public T Get<T>() where T : notnull => _app.Services.GetRequiredService<T>();

    /// <summary>A handler that reaches the test server, for another service's gRPC client.</summary>
    public HttpMessageHandler CreateHandler() => _app.GetTestServer().CreateHandler();

    public static async Task<EscalationTestHost> StartAsync(RedisServerFixture redis, TimeProvider? clock = null, AuthOptions? auth = null,
        Action<IServiceCollection>? configure = null)
    {
        auth ??= new AuthOptions { SigningKey = DevelopmentTokens.NewSigningKey() };
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = "Development" });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ConnectionStrings:redis"] = redis.ConnectionString,
            ["Auth:SigningKey"] = auth.SigningKey,
            ["EventBus:Transport"] = "Redis",
            ["EventBus:AppId"] = "escalation",
            ["EventBus:PubSubName"] = "pubsub",
            ["EventBus:MaxDeliveryAttempts"] = "20",
            ["EventBus:RetryBackoff"] = "00:00:00.050",
            ["EventBus:OutboxSweepInterval"] = "00:00:00.200",
            ["Escalation:TimerPollInterval"] = "00:00:00.200",
        });
        builder.Logging.ClearProviders();
        builder.WebHost.UseTestServer();
        builder.AddDisputesService();
        builder.AddEscalationServices();
        if (clock is not null)
        {
            builder.Services.AddSingleton(clock);
            // The bus's loops wait on the clock: with a fake one they are left out, and the test reads the outbox.
            foreach (var loop in builder.Services.Where(d => d.ServiceType == typeof(IHostedService)
                && (d.ImplementationType == typeof(OutboxRelay) || d.ImplementationType == typeof(RedisStreamSubscriber))).ToArray())
                builder.Services.Remove(loop);
        }
        configure?.Invoke(builder.Services);
        var app = builder.Build();
        app.MapDefaultEndpoints();
        app.MapEscalationApi();
        await app.StartAsync();
        return new EscalationTestHost(app, auth);
    }

    /// <summary>Loads the repository's demo partnership, as the run command does.</summary>
    public Task<int> LoadDemoDirectoryAsync() =>
        Get<Disputes.Escalation.Directory.DirectoryLoader>().LoadAsync(File.ReadAllText(DemoDirectoryFile));

    public static string DemoDirectoryFile
    {
        get
        {
            for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
            {
                if (File.Exists(Path.Combine(directory.FullName, "Disputes.slnx")))
                    return Path.Combine(directory.FullName, "deploy", "directory", "demo-partnership.yaml");
            }
            throw new InvalidOperationException("The repository root is not above the test output.");
        }
    }

    public Metadata Bearer(string professional, string agency, params string[] roles) => new()
    {
        { "authorization", "Bearer " + DevelopmentTokens.Mint(Auth, professional, agency, roles.Length > 0 ? roles : [DisputeRoles.Practitioner],
            TimeSpan.FromMinutes(30), DateTimeOffset.UtcNow) },
    };

    public Metadata Partnership => Bearer("scp-1", "safeguarding-partnership", DisputeRoles.Partnership);

    /// <summary>The events the escalation service wrote to its outbox, of one type, in order.</summary>
    public static async Task<IReadOnlyList<(TEvent Event, EventEnvelope Envelope)>> OutboxAsync<TEvent>(IConnectionMultiplexer redis)
        where TEvent : IMessage<TEvent>, new()
    {
        var descriptor = new TEvent().Descriptor;
        return (await OutboxReads.EnvelopesAsync(redis.GetDatabase(), OutboxApp))
            .Where(envelope => envelope.Type == descriptor.FullName)
            .Select(envelope => ((TEvent)JsonParser.Default.Parse(envelope.DataJson, descriptor), envelope))
            .ToArray();
    }

    /// <summary>Events published on a topic (by the relay, with the real clock).</summary>
    public static async Task<IReadOnlyList<(TEvent Event, EventEnvelope Envelope)>> PublishedAsync<TEvent>(IConnectionMultiplexer redis)
        where TEvent : IMessage<TEvent>, new()
    {
        var descriptor = new TEvent().Descriptor;
        var entries = await redis.GetDatabase().StreamRangeAsync(IntegrationEvents.TopicOf(descriptor));
        return entries
            .Select(e => EventEnvelope.TryParse(e["data"].ToString())!)
            .Select(envelope => ((TEvent)JsonParser.Default.Parse(envelope.DataJson, descriptor), envelope))
            .ToArray();
    }

    public async ValueTask DisposeAsync()
    {
        Channel.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
