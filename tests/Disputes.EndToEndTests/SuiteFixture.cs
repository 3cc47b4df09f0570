using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Reflection;
using Disputes.Procedure;
using Disputes.ServiceDefaults.Identity;
using Grpc.Core;
using Grpc.Net.Client;

namespace Disputes.EndToEndTests;

/// <summary>
/// The whole suite as real processes on free loopback ports: redis-server, the four
/// services and the gateway, each started from its build output, all ended afterwards.
/// </summary>
public sealed class SuiteFixture : IAsyncLifetime
{
    private readonly List<(string Name, Process Process, ConcurrentQueue<string> Output)> _processes = [];
    private readonly Dictionary<string, (string Program, string? WorkingDirectory, IReadOnlyDictionary<string, string> Environment, string[] Arguments)> _launches = new();
    private readonly string _redisDirectory = Path.Combine(Path.GetTempPath(), $"disputes-e2e-{Guid.NewGuid():N}");
    private readonly Dictionary<string, (int Grpc, int Http)> _ports = new();

    public AuthOptions Auth { get; } = new() { SigningKey = DevelopmentTokens.NewSigningKey() };

    public GrpcChannel Gateway { get; private set; } = null!;

    public int GatewayHttpPort => _ports["gateway"].Http;

    /// <summary>Where the SMTP server (Debian's aiosmtpd) keeps the email notification sends.</summary>
    public string SmtpMaildir { get; } = Path.Combine(Path.GetTempPath(), $"disputes-e2e-smtp-{Guid.NewGuid():N}");

    /// <summary>Where every process appends its finished spans (Telemetry:SpansDirectory), one file each.</summary>
    public string SpansDirectory { get; } = Path.Combine(Path.GetTempPath(), $"disputes-e2e-spans-{Guid.NewGuid():N}");
    public async Task InitializeAsync()
    {
        var root = Repository.Root();
        var configuration = typeof(SuiteFixture).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration ?? "Debug";
        var redisPort = _loopback.Next();
        Directory.CreateDirectory(_redisDirectory);
        Start("redis", "redis-server", null, new Dictionary<string, string>(), ["--port", $"{redisPort}", "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", _redisDirectory]);
        var smtpPort = _loopback.Next();
        Start("smtp", File.Exists("/usr/bin/python3") ? "/usr/bin/python3" : "python3", null, new Dictionary<string, string>(),
            ["-m", "aiosmtpd", "-n", "-l", $"127.0.0.1:{smtpPort}", "-c", "aiosmtpd.handlers.Mailbox", SmtpMaildir]);

        var apps = new[]
        {
            ("challenge", "services/challenge", "Disputes.Challenge"),
            ("escalation", "services/escalation", "Disputes.Escalation"),
            ("notification", "services/notification", "Disputes.Notification"),
            ("records", "services/records", "Disputes.Records"),
            ("gateway", "gateway", "Disputes.Gateway"),
        };
        foreach (var (name, _, _) in apps)
            _ports[name] = (_loopback.Next(), _loopback.Next());

        foreach (var (name, directory, assembly) in apps)
        {
            var output = Path.Combine(root, directory, "bin", configuration, "net10.0");
            var environment = new Dictionary<string, string>
            {
                ["Kestrel__Endpoints__Grpc__Url"] = $"http://127.0.0.1:{_ports[name].Grpc}",
                ["Kestrel__Endpoints__Http__Url"] = $"http://127.0.0.1:{_ports[name].Http}",
                ["ConnectionStrings__redis"] = $"127.0.0.1:{redisPort}",
                ["Auth__SigningKey"] = Auth.SigningKey,
                ["Records__CheckpointKey"] = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32)),
                // The development signing key is refused outside Development.
                ["ASPNETCORE_ENVIRONMENT"] = "Development",
                ["EventBus__OutboxSweepInterval"] = "00:00:00.200",
                ["Telemetry__SpansDirectory"] = SpansDirectory,
            };
            if (name == "notification")
            {
                // Webhooks to the tests' receivers on loopback, and email to the SMTP server (to the addresses tests subscribe).
                environment["Notification__Webhooks__AllowLoopback"] = "true";
                environment["Notification__Sending__FirstRetryDelay"] = "00:00:00.100";
                environment["Notification__Email__Host"] = "127.0.0.1";
                environment["Notification__Email__Port"] = $"{smtpPort}";
                environment["Notification__Email__Security"] = "None";
            }
            if (name == "records")
                // VerifyRecord asks escalation, the witness of record heads.
                environment["Records__Witness__Address"] = $"http://127.0.0.1:{_ports["escalation"].Grpc}";
            if (name == "gateway")
            {
                // Low enough for a test to reach, high enough for the other tests' polling.
                environment["Gateway__RateLimit__TokenLimit"] = "60";
                environment["Gateway__RateLimit__TokensPerPeriod"] = "30";
                environment["Gateway__AddressRateLimit__TokenLimit"] = "600";
                environment["Gateway__AddressRateLimit__TokensPerPeriod"] = "300";
                // The test process stands in for the ingress: it may name the client's address in X-Forwarded-For.
                environment["Gateway__ForwardedHeaders__KnownProxies__0"] = "127.0.0.1";
                foreach (var service in new[] { "challenge", "escalation", "notification", "records" })
                {
                    environment[$"ReverseProxy__Clusters__{service}__Destinations__primary__Address"] = $"http://127.0.0.1:{_ports[service].Grpc}";
                    environment[$"ReverseProxy__Clusters__{service}-http__Destinations__primary__Address"] = $"http://127.0.0.1:{_ports[service].Http}";
                    // Probed every second, so a backend stopped by a test is seen down (and back) quickly.
                    environment[$"ReverseProxy__Clusters__{service}__HealthCheck__Active__Interval"] = "00:00:01";
                    environment[$"ReverseProxy__Clusters__{service}-http__HealthCheck__Active__Interval"] = "00:00:01";
                }
            }
            Start(name, "dotnet", output, environment, [Path.Combine(output, assembly + ".dll")]);
        }

        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        foreach (var (name, _, _) in apps)
            await WaitUntilReadyAsync(http, name);

        Gateway = GrpcChannel.ForAddress($"http://127.0.0.1:{_ports["gateway"].Grpc}");
    }

    public Task DisposeAsync()
    {
        Gateway?.Dispose();
        foreach (var (_, process, _) in _processes)
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
        if (Directory.Exists(SmtpMaildir))
            Directory.Delete(SmtpMaildir, recursive: true);
        if (Directory.Exists(SpansDirectory))
            Directory.Delete(SpansDirectory, recursive: true);
        return Task.CompletedTask;
    }

    public string Token(string professional, string agency, params string[] roles) =>
        DevelopmentTokens.Mint(Auth, professional, agency, roles.Length > 0 ? roles : [DisputeRoles.Practitioner], TimeSpan.FromMinutes(30), DateTimeOffset.UtcNow);

    public Metadata Bearer(string professional, string agency, params string[] roles) => new()
    {
        { "authorization", "Bearer " + Token(professional, agency, roles) },
    };

    /// <summary>The processes whose latest run has exited (none should, unless a test ended one on purpose).</summary>
    public IReadOnlyList<string> ExitedProcesses() =>
        _processes.GroupBy(p => p.Name).Where(g => g.Last().Process.HasExited).Select(g => g.Key).ToList();

    /// <summary>The HTTP/1.1 port (health, REST) of a process.</summary>
    public int HttpPortOf(string name) => _ports[name].Http;

    /// <summary>The gRPC (h2c) port of a process, to call a service without the gateway.</summary>
    public int GrpcPortOf(string name) => _ports[name].Grpc;

    /// <summary>The output of a process, for a failing test's message.</summary>
    public string OutputOf(string name) => string.Join('\n', _processes.Last(p => p.Name == name).Output.TakeLast(60));

    /// <summary>Kills a process as a crash would (no graceful shutdown), runs <paramref name="whileDown"/>, then starts it again.</summary>
    public async Task CrashAndRestartAsync(string name, Func<Task> whileDown)
    {
        var running = _processes.Single(p => p.Name == name && !p.Process.HasExited);
        running.Process.Kill(entireProcessTree: true);
        await running.Process.WaitForExitAsync();
        await whileDown();
        var (program, workingDirectory, environment, arguments) = _launches[name];
        Start(name, program, workingDirectory, environment, arguments);
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        await WaitUntilReadyAsync(http, name);
    }

    private void Start(string name, string program, string? workingDirectory, IReadOnlyDictionary<string, string> environment, string[] arguments)
    {
        _launches[name] = (program, workingDirectory, environment, arguments);
        var (process, output) = SuiteProcesses.Launch(program, workingDirectory, environment, arguments);
        _processes.Add((name, process, output));
    }

    private Task WaitUntilReadyAsync(HttpClient http, string name)
    {
        var (_, process, output) = _processes.Last(p => p.Name == name);
        return SuiteProcesses.WaitUntilReadyAsync(http, name, process, output, _ports[name].Http);
    }

    private readonly LoopbackPorts _loopback = new();
}

[CollectionDefinition(Name)]
public sealed class SuiteCollection : ICollectionFixture<SuiteFixture>
{
    public const string Name = "suite";
}

/// <summary>
/// A suite of its own for the escalation tests, which change the default timescale policy for a
/// moment (an acknowledgement due at the raise): no other test's challenge is raised under it.
/// </summary>
[CollectionDefinition(Name)]
public sealed class TimescaleSuiteCollection : ICollectionFixture<SuiteFixture>
{
    public const string Name = "timescale-suite";
}
