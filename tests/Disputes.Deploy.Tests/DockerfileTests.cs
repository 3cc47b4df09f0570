using System.Text.RegularExpressions;
using Disputes.Deploy.Tests.Infrastructure;

namespace Disputes.Deploy.Tests;

/// <summary>
/// The container builds (no Docker engine here, so they are checked by reading): multi-stage, pinned base
/// images, a non-root user, the right assembly, and Kestrel bound to all interfaces on the process's ports.
/// </summary>
public sealed partial class DockerfileTests
{
    public static TheoryData<string> ProcessNames()
    {
        var data = new TheoryData<string>();
        foreach (var process in Processes.All)
        {
            data.Add(process.Name);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(ProcessNames))]
    public void Dockerfile_builds_in_stages_from_pinned_images(string process)
    {
        var instructions = Read(process);
        var args = instructions.Where(i => i.Keyword == "ARG")
            .Select(i => i.Arguments.Split('=', 2))
            .Where(p => p.Length == 2)
            .ToDictionary(p => p[0].Trim(), p => p[1].Trim(), StringComparer.Ordinal);
        var stages = instructions.Where(i => i.Keyword == "FROM").Select(i => Expand(i.Arguments.Split(' ')[0], args)).ToList();
        Assert.True(stages.Count >= 2, $"{process}: the Dockerfile is not multi-stage.");
        Assert.StartsWith("mcr.microsoft.com/dotnet/sdk:", stages[0], StringComparison.Ordinal);
        Assert.Matches(ChiseledRuntime(), stages[^1]);
        Assert.All(stages, image => Assert.True(PolicyTests.IsPinned(image), $"{process}: base image '{image}' is not pinned to a tag."));
    }

    [Theory]
    [MemberData(nameof(ProcessNames))]
    public void Dockerfile_runs_the_process_as_a_non_root_user(string process)
    {
        var instructions = Read(process);
        var final = instructions.Skip(instructions.FindLastIndex(i => i.Keyword == "FROM")).ToList();
        var user = final.Where(i => i.Keyword == "USER").Select(i => i.Arguments).LastOrDefault();
        Assert.True(user is not null, $"{process}: the final stage sets no USER.");
        Assert.DoesNotContain(user, new[] { "root", "0", "0:0" });
        var entrypoint = final.Where(i => i.Keyword == "ENTRYPOINT").Select(i => i.Arguments).LastOrDefault() ?? string.Empty;
        Assert.Contains($"\"{Processes.Named(process).Assembly}\"", entrypoint, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(ProcessNames))]
    public void Dockerfile_binds_all_interfaces_on_the_process_ports(string process)
    {
        var instructions = Read(process);
        var env = string.Join(' ', instructions.Where(i => i.Keyword == "ENV").Select(i => i.Arguments));
        var expose = instructions.Where(i => i.Keyword == "EXPOSE").SelectMany(i => i.Arguments.Split(' ', StringSplitOptions.RemoveEmptyEntries)).ToList();
        foreach (var (endpoint, port) in new[] { ("Grpc", PolicyTests.GrpcPortOf(process)), ("Http", PolicyTests.HttpPortOf(process)) })
        {
            Assert.Contains($"Kestrel__Endpoints__{endpoint}__Url=http://0.0.0.0:{port}", env, StringComparison.Ordinal);
            Assert.Contains(port.ToString(System.Globalization.CultureInfo.InvariantCulture), expose);
        }
    }

    [Fact]
    public void Dockerignore_keeps_build_outputs_out_of_the_context()
    {
        var path = Repo.Combine(".dockerignore");
        Assert.True(File.Exists(path), $"{path} is missing.");
        var lines = File.ReadAllLines(path).Select(l => l.Trim()).ToList();
        Assert.Contains("**/bin/", lines);
        Assert.Contains("**/obj/", lines);
    }

    private static string Expand(string value, IReadOnlyDictionary<string, string> args) =>
        ArgReference().Replace(value, m => args.TryGetValue(m.Groups[1].Value, out var v) ? v : m.Value);

    private static List<(string Keyword, string Arguments)> Read(string process)
    {
        var relative = Path.GetDirectoryName(Processes.Named(process).AppSettingsPath)!;
        var path = Repo.Combine(relative, "Dockerfile");
        Assert.True(File.Exists(path), $"{path} is missing.");
        var instructions = new List<(string, string)>();
        var current = string.Empty;
        foreach (var raw in File.ReadAllLines(path))
        {
            var line = raw.Trim();
            if (current.Length == 0 && (line.Length == 0 || line.StartsWith('#')))
            {
                continue;
            }

            if (line.EndsWith('\\'))
            {
                current += line[..^1] + " ";
                continue;
            }

            current += line;
            var space = current.IndexOf(' ', StringComparison.Ordinal);
            instructions.Add(space < 0
                ? (current.ToUpperInvariant(), string.Empty)
                : (current[..space].ToUpperInvariant(), Whitespace().Replace(current[(space + 1)..].Trim(), " ")));
            current = string.Empty;
        }

        return instructions;
    }

    [GeneratedRegex(@"\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?")]
    private static partial Regex ArgReference();

    [GeneratedRegex(@"\s+")]
    private static partial Regex Whitespace();

    [GeneratedRegex(@"^mcr\.microsoft\.com/dotnet/aspnet:[0-9.]+-[a-z]+-chiseled")]
    private static partial Regex ChiseledRuntime();
}
