using System.Text.RegularExpressions;
using Disputes.Deploy.Tests.Infrastructure;

namespace Disputes.Deploy.Tests;

/// <summary>
/// The container build (no Docker engine here, so it is checked by reading): one Dockerfile for every
/// process, multi-stage, pinned base images, a non-root user, one entry point, Kestrel bound to all
/// interfaces on the ports given as build arguments, and a build script that gives each process its
/// project and ports.
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

    [Fact]
    public void Dockerfile_builds_in_stages_from_pinned_images()
    {
        var instructions = Read();
        var args = instructions.Where(i => i.Keyword == "ARG")
            .Select(i => i.Arguments.Split('=', 2))
            .Where(p => p.Length == 2)
            .ToDictionary(p => p[0].Trim(), p => p[1].Trim(), StringComparer.Ordinal);
        var stages = instructions.Where(i => i.Keyword == "FROM").Select(i => Expand(i.Arguments.Split(' ')[0], args)).ToList();
        Assert.True(stages.Count >= 2, "The Dockerfile is not multi-stage.");
        Assert.StartsWith("mcr.microsoft.com/dotnet/sdk:", stages[0], StringComparison.Ordinal);
        Assert.Matches(ChiseledRuntime(), stages[^1]);
        Assert.All(stages, image => Assert.True(PolicyTests.IsPinned(image), $"Base image '{image}' is not pinned to a tag."));
    }

    [Fact]
    public void Dockerfile_publishes_the_project_named_by_a_build_argument()
    {
        var build = Stage(Read(), first: true);
        Assert.Contains(build, i => i.Keyword == "ARG" && i.Arguments == "PROJECT");
        var runs = build.Where(i => i.Keyword == "RUN").Select(i => i.Arguments).ToList();
        Assert.Contains(runs, r => r.Contains("dotnet publish \"$PROJECT\"", StringComparison.Ordinal));
        // Every process's project directory is in the build context.
        var copied = build.Where(i => i.Keyword == "COPY").Select(i => i.Arguments.Split(' ')[0]).ToHashSet(StringComparer.Ordinal);
        foreach (var process in Processes.All)
        {
            var top = process.AppSettingsPath.Split('/')[0] + "/";
            Assert.True(copied.Contains(top), $"The build stage does not copy {top} ({process.Name}).");
        }
    }

    [Fact]
    public void Dockerfile_runs_one_entry_point_as_a_non_root_user()
    {
        var instructions = Read();
        var final = Stage(instructions, first: false);
        var user = final.Where(i => i.Keyword == "USER").Select(i => i.Arguments).LastOrDefault();
        Assert.True(user is not null, "The final stage sets no USER.");
        Assert.DoesNotContain(user, new[] { "root", "0", "0:0" });
        var entrypoint = final.Where(i => i.Keyword == "ENTRYPOINT").Select(i => i.Arguments).LastOrDefault() ?? string.Empty;
        Assert.Equal("[\"/app/process\"]", entrypoint);
        // The entry point is the project's app host, renamed: it runs the project's own assembly.
        Assert.Contains(Stage(instructions, first: true), i => i.Keyword == "RUN"
            && i.Arguments.Contains("basename \"$PROJECT\" .csproj", StringComparison.Ordinal) && i.Arguments.Contains("/app/process", StringComparison.Ordinal));
        Assert.Contains(Stage(instructions, first: true), i => i.Keyword == "RUN" && i.Arguments.Contains("-p:UseAppHost=true", StringComparison.Ordinal));
    }

    [Fact]
    public void Dockerfile_binds_all_interfaces_on_the_ports_given_as_build_arguments()
    {
        var final = Stage(Read(), first: false);
        Assert.Contains(final, i => i.Keyword == "ARG" && i.Arguments == "GRPC_PORT");
        Assert.Contains(final, i => i.Keyword == "ARG" && i.Arguments == "HTTP_PORT");
        var env = string.Join(' ', final.Where(i => i.Keyword == "ENV").Select(i => i.Arguments));
        Assert.Contains("Kestrel__Endpoints__Grpc__Url=http://0.0.0.0:${GRPC_PORT}", env, StringComparison.Ordinal);
        Assert.Contains("Kestrel__Endpoints__Http__Url=http://0.0.0.0:${HTTP_PORT}", env, StringComparison.Ordinal);
        var expose = final.Where(i => i.Keyword == "EXPOSE").SelectMany(i => i.Arguments.Split(' ', StringSplitOptions.RemoveEmptyEntries)).ToList();
        Assert.Equal(["${GRPC_PORT}", "${HTTP_PORT}"], expose);
    }

    [Theory]
    [MemberData(nameof(ProcessNames))]
    public void The_build_script_gives_each_process_its_project_and_ports(string process)
    {
        var rows = File.ReadAllLines(Repo.Combine("deploy", "build-images.sh"))
            .Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Where(parts => parts.Length == 4 && parts[1].EndsWith(".csproj", StringComparison.Ordinal))
            .ToDictionary(parts => parts[0], parts => parts, StringComparer.Ordinal);
        Assert.True(rows.TryGetValue(process, out var row), $"deploy/build-images.sh builds no image of {process}.");
        var project = row[1];
        Assert.True(File.Exists(Repo.Combine(project.Split('/'))), $"{process}: {project} does not exist.");
        Assert.Equal(Path.GetDirectoryName(Processes.Named(process).AppSettingsPath), Path.GetDirectoryName(project));
        Assert.Equal(Processes.Named(process).Assembly, Path.GetFileNameWithoutExtension(project) + ".dll");
        Assert.Equal(PolicyTests.GrpcPortOf(process).ToString(System.Globalization.CultureInfo.InvariantCulture), row[2]);
        Assert.Equal(PolicyTests.HttpPortOf(process).ToString(System.Globalization.CultureInfo.InvariantCulture), row[3]);
    }

    [Theory]
    [MemberData(nameof(ProcessNames))]
    public void No_process_keeps_a_Dockerfile_of_its_own(string process)
    {
        var directory = Path.GetDirectoryName(Processes.Named(process).AppSettingsPath)!;
        Assert.False(File.Exists(Repo.Combine(directory, "Dockerfile")), $"{directory}/Dockerfile is a copy of the one at the repository root.");
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

    /// <summary>The instructions of the first (build) or last (final) stage.</summary>
    private static List<(string Keyword, string Arguments)> Stage(List<(string Keyword, string Arguments)> instructions, bool first)
    {
        var froms = instructions.Select((i, index) => (i, index)).Where(x => x.i.Keyword == "FROM").Select(x => x.index).ToList();
        return first
            ? instructions.Skip(froms[0]).Take((froms.Count > 1 ? froms[1] : instructions.Count) - froms[0]).ToList()
            : instructions.Skip(froms[^1]).ToList();
    }

    private static List<(string Keyword, string Arguments)> Read()
    {
        var path = Repo.Combine("Dockerfile");
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
