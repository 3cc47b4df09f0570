using Disputes.Tools;

namespace Disputes.IntegrationTests;

public sealed class ProcessCpuTests
{
    [Fact]
    public void Utime_and_stime_are_read_after_a_command_name_with_spaces_and_parentheses()
    {
        const string stat = "4242 (dotnet (x) y) S 1 4242 4242 0 -1 4194560 1234 0 0 0 250 75 0 0 20 0 30 0 100 0 0";

        Assert.True(ProcessCpu.TryParse(stat, out var ticks));

        Assert.Equal(325, ticks);
    }

    [Fact]
    public void A_truncated_line_is_refused()
    {
        Assert.False(ProcessCpu.TryParse("4242 (dotnet) S 1 2 3", out _));
        Assert.False(ProcessCpu.TryParse("garbage", out _));
    }

    [Fact]
    public void This_process_has_used_some_cpu()
    {
        Assert.True(ProcessCpu.Read(Environment.ProcessId) > TimeSpan.Zero);
    }
}
