using StackExchange.Redis;

namespace Disputes.IntegrationTests.Faults;

/// <summary>
/// A redis-server of a fault test's own, on a fixed loopback port and data directory, so it can be
/// killed, paused and started again in place with its append-only file.
/// </summary>
public sealed class RedisProcess : IAsyncDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), $"disputes-fault-redis-{Guid.NewGuid():N}");
    private readonly string[] _persistence;
    private ChildProcess? _server;

    private RedisProcess(string appendFsync)
    {
        Port = RedisServerFixture.FreePort();
        _persistence = appendFsync == "off"
            ? ["--appendonly", "no"]
            : ["--appendonly", "yes", "--appendfsync", appendFsync];
    }

    public int Port { get; }

    public string ConnectionString => $"127.0.0.1:{Port},abortConnect=false,connectTimeout=2000,syncTimeout=3000,asyncTimeout=3000";

    public ChildProcess Server => _server ?? throw new InvalidOperationException("not started");

    /// <summary>Starts redis-server with AOF <paramref name="appendFsync"/> (<c>always</c>, <c>everysec</c>) or <c>off</c>.</summary>
    public static async Task<RedisProcess> StartAsync(string appendFsync)
    {
        var redis = new RedisProcess(appendFsync);
        Directory.CreateDirectory(redis._directory);
        await redis.StartServerAsync();
        return redis;
    }

    public async Task StartServerAsync()
    {
        _server = ChildProcess.Start(RedisServerFixture.FindOnPath("redis-server") ?? throw new InvalidOperationException("redis-server is not on PATH"),
            ["--port", Port.ToString(), "--bind", "127.0.0.1", "--save", "", "--dir", _directory, .. _persistence]);
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            try
            {
                await using var probe = await ConnectionMultiplexer.ConnectAsync($"127.0.0.1:{Port},connectTimeout=1000");
                // Answers PING only once the append-only file is loaded.
                await probe.GetDatabase().PingAsync();
                return;
            }
            catch (RedisException) when (DateTime.UtcNow < deadline && !_server.HasExited)
            {
                await Task.Delay(100);
            }
        }
    }

    /// <summary>SIGKILL the server and start it again on the same port and files.</summary>
    public async Task CrashAndRestartAsync(TimeSpan down)
    {
        Server.KillHard();
        Server.Dispose();
        await Task.Delay(down);
        await StartServerAsync();
    }

    public ValueTask DisposeAsync()
    {
        _server?.Dispose();
        try
        {
            if (Directory.Exists(_directory))
                Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
        }
        return ValueTask.CompletedTask;
    }
}
