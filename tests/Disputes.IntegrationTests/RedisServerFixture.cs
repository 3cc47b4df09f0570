using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using StackExchange.Redis;

namespace Disputes.IntegrationTests;

/// <summary>
/// A real redis-server on a free loopback port, removed with its data afterwards; with
/// <c>DISPUTES_TEST_REDIS_CLUSTER=1</c>, a three-node Redis Cluster of real redis-server processes
/// instead (every slot served, no replicas), so the same tests show that no transaction or script
/// crosses hash slots.
/// </summary>
public sealed class RedisServerFixture : IAsyncLifetime
{
    public const string ClusterVariable = "DISPUTES_TEST_REDIS_CLUSTER";
    private const int ClusterNodes = 3;
    private readonly string _directory = Path.Combine(Path.GetTempPath(), $"disputes-redis-{Guid.NewGuid():N}");
    private readonly List<Process> _processes = [];

    /// <summary>Whether this run uses a Redis Cluster (see <see cref="ClusterVariable"/>).</summary>
    public static bool IsCluster => Environment.GetEnvironmentVariable(ClusterVariable) is "1" or "true";

    /// <summary>The port of the (first) node; a client given one cluster node finds the others.</summary>
    public int Port => Ports[0];

    public IReadOnlyList<int> Ports { get; private set; } = [];

    public string ConnectionString => string.Join(",", Ports.Select(port => $"127.0.0.1:{port}")) + ",allowAdmin=true";

    /// <summary>For the tests' own reads; each host under test opens its own connection.</summary>
    public IConnectionMultiplexer Redis { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Ports = Enumerable.Range(0, IsCluster ? ClusterNodes : 1).Select(_ => FreePort()).ToArray();
        foreach (var port in Ports)
            StartNode(port);
        if (IsCluster)
            await CreateClusterAsync();

        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (true)
        {
            try
            {
                Redis = await ConnectionMultiplexer.ConnectAsync(ConnectionString);
                await Redis.GetDatabase().PingAsync();
                return;
            }
            catch (RedisConnectionException) when (DateTime.UtcNow < deadline && _processes.All(p => !p.HasExited))
            {
                await Task.Delay(100);
            }
        }
    }

    private void StartNode(int port)
    {
        var directory = Path.Combine(_directory, port.ToString());
        Directory.CreateDirectory(directory);
        var start = new ProcessStartInfo(FindOnPath("redis-server")
            ?? throw new InvalidOperationException("redis-server is not on PATH; scripts/test.sh installs it (apt-get install redis-server)."))
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var argument in new[] { "--port", port.ToString(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", directory })
            start.ArgumentList.Add(argument);
        if (IsCluster)
        {
            foreach (var argument in new[] { "--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf", "--cluster-node-timeout", "5000" })
                start.ArgumentList.Add(argument);
        }
        var process = Process.Start(start)!;
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _processes.Add(process);
    }

    /// <summary>Joins the nodes into one cluster (redis-cli assigns the slots) and waits until every node says it is ok.</summary>
    private async Task CreateClusterAsync()
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        foreach (var port in Ports)
            await WaitUntilAsync(port, "PING", reply => reply == "PONG", deadline);

        var create = new ProcessStartInfo(FindOnPath("redis-cli")
            ?? throw new InvalidOperationException("redis-cli is not on PATH; it comes with redis-server (apt-get install redis-server)."))
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var argument in new[] { "--cluster", "create" }.Concat(Ports.Select(port => $"127.0.0.1:{port}")).Concat(["--cluster-replicas", "0", "--cluster-yes"]))
            create.ArgumentList.Add(argument);
        using (var cli = Process.Start(create)!)
        {
            var output = cli.StandardOutput.ReadToEndAsync();
            var error = cli.StandardError.ReadToEndAsync();
            await cli.WaitForExitAsync();
            if (cli.ExitCode != 0)
                throw new InvalidOperationException($"redis-cli --cluster create failed: {await output} {await error}");
        }

        foreach (var port in Ports)
            await WaitUntilAsync(port, "CLUSTER INFO", reply => reply.Contains("cluster_state:ok", StringComparison.Ordinal), deadline);
    }

    private static async Task WaitUntilAsync(int port, string command, Func<string, bool> holds, DateTime deadline)
    {
        while (true)
        {
            try
            {
                using var node = await ConnectionMultiplexer.ConnectAsync($"127.0.0.1:{port},allowAdmin=true,connectTimeout=1000");
                var parts = command.Split(' ');
                var reply = await node.GetServer($"127.0.0.1:{port}").ExecuteAsync(parts[0], parts[1..]);
                if (holds(reply.ToString()))
                    return;
            }
            catch (RedisException) when (DateTime.UtcNow < deadline)
            {
            }
            if (DateTime.UtcNow >= deadline)
                throw new TimeoutException($"redis-server on port {port} did not answer {command} as expected in time.");
            await Task.Delay(100);
        }
    }

    /// <summary>Empties every primary (all of them in a cluster).</summary>
    public async Task FlushAsync()
    {
        foreach (var server in Redis.GetServers().Where(server => !server.IsReplica))
            await server.FlushAllDatabasesAsync();
    }

    public Task DisposeAsync()
    {
        Redis?.Dispose();
        foreach (var process in _processes)
        {
            if (!process.HasExited)
            {
                process.Kill();
                process.WaitForExit(5000);
            }
            process.Dispose();
        }
        if (Directory.Exists(_directory))
            Directory.Delete(_directory, recursive: true);
        return Task.CompletedTask;
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public static string? FindOnPath(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Select(dir => Path.Combine(dir, name))
            .FirstOrDefault(File.Exists);
}

[CollectionDefinition(Name)]
public sealed class RedisCollection : ICollectionFixture<RedisServerFixture>
{
    public const string Name = "redis";
}
