using System.Security.Cryptography;
using Disputes.Procedure;
using Disputes.Records.Extensions;
using Disputes.Records.Recording;
using Disputes.Records.Storage;
using Disputes.ServiceDefaults;
using Disputes.ServiceDefaults.Identity;
using Disputes.V1;
using Grpc.Core;
using Grpc.Net.Client;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace Disputes.IntegrationTests;

/// <summary>The records service in-process on a test server, over a real redis-server, called through a real gRPC channel.</summary>
public sealed class RecordsHost : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly GrpcChannel _channel;

    private RecordsHost(WebApplication app, AuthOptions auth, FakeTimeProvider time)
    {
        _app = app;
        Auth = auth;
        Time = time;
        _channel = GrpcChannel.ForAddress("http://localhost", new GrpcChannelOptions { HttpHandler = app.GetTestServer().CreateHandler() });
        Client = new RecordsService.RecordsServiceClient(_channel);
    }

    public AuthOptions Auth { get; }
    public FakeTimeProvider Time { get; }
    public RecordsService.RecordsServiceClient Client { get; }
    public IServiceProvider Services => _app.Services;
    public DisputeRecorder Recorder => Services.GetRequiredService<DisputeRecorder>();
    public RecordStore Store => Services.GetRequiredService<RecordStore>();

    public static async Task<RecordsHost> StartAsync(RedisServerFixture redis, bool withCheckpointKey = true, Dictionary<string, string?>? settings = null,
        AuthOptions? auth = null, Action<IServiceCollection>? configure = null)
    {
        auth ??= new AuthOptions { SigningKey = DevelopmentTokens.NewSigningKey() };
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 3, 2, 9, 0, 0, TimeSpan.Zero));
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = "Development" });
        builder.WebHost.UseTestServer();
        var configuration = new Dictionary<string, string?>
        {
            ["ConnectionStrings:redis"] = redis.ConnectionString,
            ["Auth:SigningKey"] = auth.SigningKey,
            ["EventBus:Transport"] = "Redis",
            ["EventBus:AppId"] = "records",
            ["EventBus:OutboxSweepInterval"] = "00:00:00.200",
            ["EventBus:RetryBackoff"] = "00:00:00.010",
            ["Records:CheckpointKey"] = withCheckpointKey ? Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)) : "",
            // Tests that purge call the RPC on their own clock; the schedule has tests of its own.
            ["Records:Purge:Scheduled"] = "false",
        };
        foreach (var (key, value) in settings ?? [])
            configuration[key] = value;
        builder.Configuration.AddInMemoryCollection(configuration);
        builder.AddDisputesService();
        builder.AddRecordsServices();
        builder.Services.AddSingleton(time);
        builder.Services.AddSingleton<TimeProvider>(time);
        configure?.Invoke(builder.Services);
        var app = builder.Build();
        app.MapDefaultEndpoints();
        app.MapRecordsApi();
        await app.StartAsync();
        return new RecordsHost(app, auth, time);
    }

    public Metadata Bearer(string professional, string agency, params string[] roles) => new()
    {
        { "authorization", "Bearer " + DevelopmentTokens.Mint(Auth, professional, agency, roles.Length > 0 ? roles : [DisputeRoles.Practitioner], TimeSpan.FromHours(1), DateTimeOffset.UtcNow) },
    };

    public async ValueTask DisposeAsync()
    {
        _channel.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
