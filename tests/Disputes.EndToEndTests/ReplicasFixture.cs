using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Reflection;
using Disputes.Procedure;
using Disputes.ServiceDefaults.Identity;
using Grpc.Net.Client;

namespace Disputes.EndToEndTests;

/// <summary>
/// Two replicas of the challenge service (one Redis, two processes on their own ports) behind a
/// gateway whose challenge cluster names both, as the DNS resolver names each pod of a headless
/// Service. Its own processes, so the shared suite is never disturbed.
/// </summary>
public sealed class ReplicasFixture : IAsyncLifetime
{
    public static readonly string[] Replicas = ["challenge-a", "challenge-b"];

    private readonly Dictionary<string, (Process Process, ConcurrentQueue<string> Output, int Grpc, int Http)> _processes = new();
    private readonly string _redisDirectory = Path.Combine(Path.GetTempPath(), $"disputes-e2e-replicas-{Guid.NewGuid():N}");

    public AuthOptions Auth { get; } = new() { SigningKey = DevelopmentTokens.NewSigningKey() };

    public GrpcChannel Gateway { get; private set; } = null!;

    /// <summary>A process's own log lines, as it wrote them.</summary>
    public IReadOnlyList<string> OutputOf(string name) => _processes[name].Output.ToList();

    public async Task InitializeAsync()
    {
        var root = Repository.Root();
        var configuration = typeof(ReplicasFixture).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration ?? "Debug";
        Directory.CreateDirectory(_redisDirectory);
        var redisPort = _loopback.Next();
        Start("redis", "redis-server", null, [], (redisPort, 0),
            ["--port", $"{redisPort}", "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", _redisDirectory]);

        var challengeOutput = Path.Combine(root, "services/challenge", "bin", configuration, "net10.0");
        foreach (var replica in Replicas)
        {
            var ports = (_loopback.Next(), _loopback.Next());
            Start(replica, "dotnet", challengeOutput, new()
            {
                ["Kestrel__Endpoints__Grpc__Url"] = $"http://127.0.0.1:{ports.Item1}",
                ["Kestrel__Endpoints__Http__Url"] = $"http://127.0.0.1:{ports.Item2}",
                ["ConnectionStrings__redis"] = $"127.0.0.1:{redisPort}",
                ["Auth__SigningKey"] = Auth.SigningKey,
                ["ASPNETCORE_ENVIRONMENT"] = "Development",
                // Each replica logs the requests it serves: how the test sees who served a call.
                ["Logging__LogLevel__Microsoft.AspNetCore.Hosting.Diagnostics"] = "Information",
            }, ports, [Path.Combine(challengeOutput, "Disputes.Challenge.dll")]);
        }

        var gatewayOutput = Path.Combine(root, "gateway", "bin", configuration, "net10.0");
        var gatewayPorts = (_loopback.Next(), _loopback.Next());
        var nowhere = $"http://127.0.0.1:{_loopback.Next()}";
        var gateway = new Dictionary<string, string>
        {
            ["Kestrel__Endpoints__Grpc__Url"] = $"http://127.0.0.1:{gatewayPorts.Item1}",
            ["Kestrel__Endpoints__Http__Url"] = $"http://127.0.0.1:{gatewayPorts.Item2}",
            ["Auth__SigningKey"] = Auth.SigningKey,
            ["ASPNETCORE_ENVIRONMENT"] = "Development",
            ["ReverseProxy__Clusters__challenge__Destinations__primary__Address"] = $"http://127.0.0.1:{_processes["challenge-a"].Grpc}",
            ["ReverseProxy__Clusters__challenge__Destinations__second__Address"] = $"http://127.0.0.1:{_processes["challenge-b"].Grpc}",
            ["ReverseProxy__Clusters__challenge__HealthCheck__Active__Interval"] = "00:00:01",
        };
        // Only challenge runs here: the other backends point at a port nothing listens on.
        foreach (var service in new[] { "escalation", "notification", "records" })
        {
            gateway[$"ReverseProxy__Clusters__{service}__Destinations__primary__Address"] = nowhere;
            gateway[$"ReverseProxy__Clusters__{service}-http__Destinations__primary__Address"] = nowhere;
        }
        gateway["ReverseProxy__Clusters__challenge-http__Destinations__primary__Address"] = nowhere;
        Start("gateway", "dotnet", gatewayOutput, gateway, gatewayPorts, [Path.Combine(gatewayOutput, "Disputes.Gateway.dll")]);

        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        foreach (var name in Replicas.Append("gateway"))
            await WaitUntilReadyAsync(http, name);
        Gateway = GrpcChannel.ForAddress($"http://127.0.0.1:{gatewayPorts.Item1}");
    }

    public Task DisposeAsync()
    {
        Gateway?.Dispose();
        foreach (var (process, _, _, _) in _processes.Values)
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
                process.WaitForExit(10_000);
            }
            process.Dispose();
        }
        if (Directory.Exists(_redisDirectory))
            Directory.Delete(_redisDirectory, recursive: true);
        return Task.CompletedTask;
    }

    public string Token(string professional, string agency) =>
        DevelopmentTokens.Mint(Auth, professional, agency, [DisputeRoles.Practitioner], TimeSpan.FromMinutes(30), DateTimeOffset.UtcNow);

    private void Start(string name, string program, string? workingDirectory, Dictionary<string, string> environment, (int Grpc, int Http) ports, string[] arguments)
    {
        var (process, output) = SuiteProcesses.Launch(program, workingDirectory, environment, arguments);
        _processes[name] = (process, output, ports.Grpc, ports.Http);
    }

    private Task WaitUntilReadyAsync(HttpClient http, string name)
    {
        var (process, output, _, port) = _processes[name];
        return SuiteProcesses.WaitUntilReadyAsync(http, name, process, output, port);
    }

    private readonly LoopbackPorts _loopback = new();
}

[CollectionDefinition(Name)]
public sealed class ReplicasCollection : ICollectionFixture<ReplicasFixture>
{
    public const string Name = "replicas";
}
