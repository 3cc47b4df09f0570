using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Disputes.EndToEndTests;

/// <summary>Where the repository is, for the fixtures that start its processes and tools.</summary>
public static class Repository
{
    public static string Root()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Disputes.slnx")))
                return directory.FullName;
        }
        throw new InvalidOperationException("The repository root (with Disputes.slnx) is not above the test output.");
    }
}

/// <summary>Loopback ports nothing listens on, never the same one twice from one instance.</summary>
public sealed class LoopbackPorts
{
    private readonly HashSet<int> _taken = [];

    public int Next()
    {
        while (true)
        {
            using var listener = new TcpListener(IPAddress.Loopback, 0);
            listener.Start();
            var port = ((IPEndPoint)listener.LocalEndpoint).Port;
            if (_taken.Add(port))
                return port;
        }
    }
}

/// <summary>How the fixtures start the suite's processes and wait for them, in one place.</summary>
public static class SuiteProcesses
{
    /// <summary>Starts <paramref name="program"/>, keeping what it prints; never with the caller's OTLP endpoint.</summary>
    public static (Process Process, ConcurrentQueue<string> Output) Launch(
        string program, string? workingDirectory, IEnumerable<KeyValuePair<string, string>> environment, IEnumerable<string> arguments)
    {
        var start = new ProcessStartInfo(program)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? Environment.CurrentDirectory,
        };
        foreach (var argument in arguments)
            start.ArgumentList.Add(argument);
        foreach (var (key, value) in environment)
            start.Environment[key] = value;
        start.Environment.Remove("OTEL_EXPORTER_OTLP_ENDPOINT");

        var process = Process.Start(start) ?? throw new InvalidOperationException($"{program} did not start");
        var output = new ConcurrentQueue<string>();
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) output.Enqueue(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) output.Enqueue(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return (process, output);
    }

    /// <summary>Waits up to 120 s for the process's readiness endpoint; fails with what it printed last.</summary>
    public static async Task WaitUntilReadyAsync(HttpClient http, string name, Process process, ConcurrentQueue<string> output, int httpPort)
    {
        var deadline = DateTime.UtcNow.AddSeconds(120);
        while (DateTime.UtcNow < deadline)
        {
            if (process.HasExited)
                throw new InvalidOperationException($"{name} exited with {process.ExitCode}:\n{string.Join('\n', output.TakeLast(60))}");
            try
            {
                using var response = await http.GetAsync($"http://127.0.0.1:{httpPort}/health/ready");
                if (response.StatusCode == HttpStatusCode.OK)
                    return;
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
            }
            await Task.Delay(200);
        }
        throw new TimeoutException($"{name} was not ready within 120 s:\n{string.Join('\n', output.TakeLast(60))}");
    }
}
