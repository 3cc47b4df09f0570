using System.Text.RegularExpressions;
using Disputes.IntegrationTests.Faults;
using Disputes.Tools.Support;

namespace Disputes.IntegrationTests;

public sealed partial class SupportDefaultsTests
{
    /// <summary>Without options, the support commands look at the suite that scripts/run.sh starts.</summary>
    [Fact]
    public void The_support_commands_default_to_the_local_runs_redis()
    {
        var run = File.ReadAllText(Path.Combine(ChildProcess.RepositoryRoot(), "scripts", "run.sh"));
        var port = RunRedisPort().Match(run);

        Assert.True(port.Success, "scripts/run.sh no longer sets redis_port");
        Assert.Equal(SupportCommandOptions.DefaultRedis, $"127.0.0.1:{port.Groups[1].Value}");
    }

    [GeneratedRegex("""redis_port="\$\{REDIS_PORT:-(\d+)\}""")]
    private static partial Regex RunRedisPort();
}
