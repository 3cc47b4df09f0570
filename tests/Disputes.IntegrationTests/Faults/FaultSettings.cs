using System.Globalization;

namespace Disputes.IntegrationTests.Faults;

/// <summary>
/// Sizes of the fault runs: small enough for CI by default, larger from the environment for the
/// long runs documented in docs/reliability.md.
/// </summary>
public static class FaultSettings
{
    /// <summary>Events of the poison-handler run (DISPUTES_FAULT_EVENTS).</summary>
    public static int PoisonHandlerEvents => Read("DISPUTES_FAULT_EVENTS", 10_000);

    /// <summary>Events of the consumer-kill run (DISPUTES_FAULT_KILL_EVENTS).</summary>
    public static int KillEvents => Read("DISPUTES_FAULT_KILL_EVENTS", 10_000);

    /// <summary>How long Redis stays paused (DISPUTES_FAULT_PAUSE_SECONDS).</summary>
    public static TimeSpan RedisPause => TimeSpan.FromSeconds(Read("DISPUTES_FAULT_PAUSE_SECONDS", 5));

    /// <summary>An upper bound for a whole run, from its size.</summary>
    public static TimeSpan Budget(int events) => TimeSpan.FromSeconds(45 + events / 100);

    private static int Read(string name, int fallback) =>
        int.TryParse(Environment.GetEnvironmentVariable(name), NumberStyles.None, CultureInfo.InvariantCulture, out var value) && value > 0
            ? value
            : fallback;
}
