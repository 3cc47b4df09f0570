using System.CommandLine;
using System.Globalization;

namespace Disputes.Tools;

/// <summary>
/// <c>idle</c>: how much CPU the given processes (the suite's services, the gateway, redis-server)
/// use over a bounded window while nobody calls them, as a share of one core.
/// </summary>
public static class IdleCommand
{
    public static Command Create()
    {
        var pids = new Option<int[]>("--pids") { Description = "The processes to measure (e.g. the suite's five and redis-server).", Required = true, AllowMultipleArgumentsPerToken = true };
        var seconds = new Option<int>("--seconds") { Description = "How long to measure.", DefaultValueFactory = _ => 60 };
        seconds.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<int>() is < 1 or > 3600)
                result.AddError("--seconds must be between 1 and 3600.");
        });

        var command = new Command("idle", "Measure the CPU the given processes use over a window (utime + stime from /proc), as % of one core.")
        {
            pids, seconds,
        };
        command.SetAction(async (parse, cancellationToken) =>
            await RunAsync(parse.GetValue(pids)!, TimeSpan.FromSeconds(parse.GetValue(seconds)), Console.Out, cancellationToken));
        return command;
    }

    public static async Task<int> RunAsync(IReadOnlyList<int> pids, TimeSpan window, TextWriter output, CancellationToken cancellationToken)
    {
        if (pids.Count == 0 || pids.Any(pid => pid <= 0))
        {
            Console.Error.WriteLine("--pids must name at least one process id, each positive.");
            return 2;
        }
        var before = pids.Select(ProcessCpu.Read).ToArray();
        if (before.Select((cpu, i) => (cpu, pid: pids[i])).FirstOrDefault(p => p.cpu is null) is { pid: > 0 } missing)
        {
            Console.Error.WriteLine($"Process {missing.pid} is not running (or /proc/{missing.pid}/stat cannot be read).");
            return 2;
        }
        var started = DateTimeOffset.UtcNow;
        try
        {
            await Task.Delay(window, cancellationToken);
        }
        catch (OperationCanceledException)
        {
        }
        var elapsed = DateTimeOffset.UtcNow - started;
        var after = pids.Select(ProcessCpu.Read).ToArray();

        output.WriteLine(Invariant($"idle: {pids.Count} processes over {elapsed.TotalSeconds:0.0} s"));
        var total = TimeSpan.Zero;
        for (var i = 0; i < pids.Count; i++)
        {
            if (after[i] is not { } end)
            {
                output.WriteLine(Invariant($"  pid {pids[i],-8} exited during the window"));
                continue;
            }
            var used = end - before[i]!.Value;
            total += used;
            output.WriteLine(Invariant($"  pid {pids[i],-8} {NameOf(pids[i]),-22} cpu {used.TotalMilliseconds,8:0} ms  {Share(used, elapsed),6:0.00} % of one core"));
        }
        output.WriteLine(Invariant($"  total                     cpu {total.TotalMilliseconds,8:0} ms  {Share(total, elapsed),6:0.00} % of one core"));
        return after.All(cpu => cpu is not null) ? 0 : 1;
    }

    private static double Share(TimeSpan used, TimeSpan elapsed) => elapsed > TimeSpan.Zero ? 100 * used / elapsed : 0;

    private static string NameOf(int pid)
    {
        try
        {
            // The entry assembly of a dotnet host, else the executable's name.
            var args = File.ReadAllText($"/proc/{pid}/cmdline").Split('\0', StringSplitOptions.RemoveEmptyEntries);
            // redis-server rewrites its title to "redis-server host:port" in one argument.
            var name = args.FirstOrDefault(a => a.EndsWith(".dll", StringComparison.Ordinal)) ?? args.FirstOrDefault()?.Split(' ')[0] ?? "?";
            return Path.GetFileNameWithoutExtension(Path.GetFileName(name));
        }
        catch (IOException)
        {
            return "?";
        }
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
