namespace Disputes.Tools;

/// <summary>One load run, as parsed and checked from the command line.</summary>
public sealed record LoadSettings(
    Uri Target,
    Uri RecordsTarget,
    int Concurrency,
    TimeSpan Duration,
    TimeSpan Warmup,
    int Callers,
    int RecordsSamples,
    TimeSpan PollInterval,
    TimeSpan DrainTimeout,
    long MaxCalls)
{
    /// <summary>How long one sample waits for its records entry before it counts as timed out.</summary>
    public TimeSpan RecordTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Raises per second in open-loop mode; 0 runs the closed loop at <see cref="Concurrency"/>.</summary>
    public double Rate { get; init; }

    /// <summary>After the load, how long to wait for every outbox and consumer group to drain; zero skips the wait.</summary>
    public TimeSpan BusDrainTimeout { get; init; }

    /// <summary>The suite's Redis (a StackExchange.Redis configuration string), read for the bus drain.</summary>
    public string Redis { get; init; } = Support.SupportCommandOptions.DefaultRedis;

    /// <summary>A deadline on every call, so a stuck server cannot hold the run open.</summary>
    public TimeSpan CallTimeout { get; init; } = TimeSpan.FromSeconds(10);
}
