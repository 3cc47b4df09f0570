using System.Collections.Concurrent;
using System.Diagnostics;
using System.Reflection;
using System.Runtime.InteropServices;

namespace Disputes.IntegrationTests.Faults;

/// <summary>A process a test starts, signals and ends by its own PID; its output kept for failure messages.</summary>
public sealed class ChildProcess : IDisposable
{
    private const int SigKill = 9;
    private const int SigCont = 18;
    private const int SigStop = 19;

    private readonly Process _process;
    private readonly ConcurrentQueue<string> _output = new();

    private ChildProcess(Process process)
    {
        _process = process;
        _process.OutputDataReceived += (_, e) => Keep(e.Data);
        _process.ErrorDataReceived += (_, e) => Keep(e.Data);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    public int Id => _process.Id;

    public bool HasExited => _process.HasExited;

    public string Output => string.Join('\n', _output.TakeLast(80));

    public static ChildProcess Start(string program, IEnumerable<string> arguments, IReadOnlyDictionary<string, string>? environment = null,
        string? workingDirectory = null)
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
        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
            start.Environment[key] = value;
        start.Environment.Remove("OTEL_EXPORTER_OTLP_ENDPOINT");
        return new ChildProcess(Process.Start(start) ?? throw new InvalidOperationException($"{program} did not start"));
    }

    /// <summary>SIGKILL: no shutdown, no flush, exactly as a crash.</summary>
    public void KillHard()
    {
        if (_process.HasExited)
            return;
        Signal(SigKill);
        _process.WaitForExit(10_000);
    }

    /// <summary>SIGSTOP: the process stays, holds its sockets and answers nothing.</summary>
    public void Pause() => Signal(SigStop);

    public void Resume() => Signal(SigCont);

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            Signal(SigCont);
            KillHard();
        }
        _process.Dispose();
    }

    /// <summary>The build output of a project of this repository, in the configuration the tests were built in.</summary>
    public static string BuildOutputOf(string projectDirectory, string assembly)
    {
        var configuration = typeof(ChildProcess).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration ?? "Debug";
        var path = Path.Combine(RepositoryRoot(), projectDirectory, "bin", configuration, "net10.0", assembly + ".dll");
        return File.Exists(path) ? path : throw new FileNotFoundException($"{path} is not built; build the solution first.", path);
    }

    public static string RepositoryRoot()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "Disputes.slnx")))
            directory = directory.Parent;
        return directory?.FullName ?? throw new InvalidOperationException("The repository root (Disputes.slnx) was not found.");
    }

    private void Signal(int signal)
    {
        if (!_process.HasExited && Kill(_process.Id, signal) != 0)
            throw new InvalidOperationException($"kill({_process.Id}, {signal}) failed: errno {Marshal.GetLastWin32Error()}");
    }

    private void Keep(string? line)
    {
        if (line is null)
            return;
        _output.Enqueue(line);
        while (_output.Count > 400)
            _output.TryDequeue(out _);
    }

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Kill(int pid, int signal);
}
