using System.Diagnostics;
using System.Text;

namespace Disputes.Deploy.Tests.Infrastructure;

public sealed record ToolResult(int ExitCode, string StandardOutput, string StandardError)
{
    public string Describe() =>
        $"exit code {ExitCode}{Environment.NewLine}--- stdout ---{Environment.NewLine}{StandardOutput}{Environment.NewLine}--- stderr ---{Environment.NewLine}{StandardError}";
}

/// <summary>Finds and runs the external tools the checks need (kubectl, node).</summary>
public static class Tool
{
    /// <summary>
    /// The full path of <paramref name="name"/>: the variable <paramref name="overrideVariable"/> when set,
    /// otherwise the first match on PATH. Fails the calling test with <paramref name="installHint"/> when missing.
    /// </summary>
    public static string Require(string name, string overrideVariable, string installHint)
    {
        var configured = Environment.GetEnvironmentVariable(overrideVariable);
        if (!string.IsNullOrWhiteSpace(configured))
        {
            if (File.Exists(configured))
            {
                return configured;
            }

            Assert.Fail($"{overrideVariable} is set to '{configured}', which does not exist.");
        }

        var path = Environment.GetEnvironmentVariable("PATH") ?? string.Empty;
        var names = OperatingSystem.IsWindows() ? new[] { name + ".exe", name + ".cmd", name } : new[] { name };
        foreach (var dir in path.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            foreach (var candidate in names)
            {
                var full = Path.Combine(dir, candidate);
                if (File.Exists(full))
                {
                    return full;
                }
            }
        }

        Assert.Fail($"'{name}' was not found on PATH ({path}). {installHint} (or set {overrideVariable} to its full path).");
        return string.Empty; // not reached
    }

    public static string Kubectl() =>
        Require("kubectl", "KUBECTL", "The deploy checks render the overlays with `kubectl kustomize`: install kubectl");

    public static string Node() =>
        Require("node", "NODE", "The schema checks run tests/deploy/validate.mjs: install Node.js 18 or later");

    public static ToolResult Run(string executable, IEnumerable<string> arguments, string workingDirectory, TimeSpan timeout)
    {
        var start = new ProcessStartInfo(executable)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {executable}.");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(timeout))
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit();
            Assert.Fail($"{executable} {string.Join(' ', start.ArgumentList)} did not finish within {timeout.TotalSeconds:0} s.");
        }

        process.WaitForExit();
        return new ToolResult(process.ExitCode, stdout.GetAwaiter().GetResult(), stderr.GetAwaiter().GetResult());
    }
}
