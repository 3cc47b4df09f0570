using System.Globalization;

namespace Disputes.Tools;

/// <summary>Prints what a load run measured, in plain text meant to be pasted into notes.</summary>
public static class LoadReport
{
    public static void Traffic(TextWriter output, LoadSettings settings, TrafficResult result)
    {
        output.WriteLine($"load: RaiseChallenge -> {settings.Target}");
        output.WriteLine(Invariant($"  concurrency {settings.Concurrency}, {settings.Callers} callers over {CallerPool.Agencies.Count} agencies, warm-up {settings.Warmup.TotalSeconds:0.#} s, measured {result.Measured.TotalSeconds:0.00} s"));
        var seconds = Math.Max(result.Measured.TotalSeconds, 1e-9);
        output.WriteLine(Invariant($"  calls        {result.Calls} (ok {result.Latencies.Count}, errors {result.Errors.Total}); warm-up calls {result.WarmupCalls}"));
        output.WriteLine(Invariant($"  throughput   {result.Calls / seconds:0.0} calls/s (ok {result.Latencies.Count / seconds:0.0}/s)"));
        output.WriteLine($"  latency ms   {Format(result.Latencies.Summarize())}   (successful calls)");
        output.WriteLine($"  errors       {result.Errors}");
    }

    public static void Drain(TextWriter output, DrainResult drain, int tracked)
    {
        if (drain.Failure is not null)
            output.WriteLine($"  stopped: {drain.Failure}");
        else if (drain.Drained)
            output.WriteLine(Invariant($"  backlog      the load's last {tracked} raises recorded {drain.Elapsed.TotalSeconds:0.00} s after the load phase ended"));
        else
            output.WriteLine(Invariant($"  backlog      NOT drained after {drain.Elapsed.TotalSeconds:0.00} s; samples below include the backlog"));
        if (drain.PollErrors.Total > 0)
            output.WriteLine($"  drain poll errors {drain.PollErrors}");
    }

    public static void RecordLag(TextWriter output, LoadSettings settings, RecordLagResult result)
    {
        output.WriteLine(Invariant($"  samples      {settings.RecordsSamples} sequential (recorded {result.Lags.Count}, timed out {result.TimedOut} after {settings.RecordTimeout.TotalSeconds:0.#} s, raise errors {result.RaiseErrors.Total})"));
        output.WriteLine($"  raise ms            {Format(result.Raises.Summarize())}");
        output.WriteLine($"  raise->record ms    {Format(result.Lags.Summarize())}   (poll every {settings.PollInterval.TotalMilliseconds:0.#} ms)");
        if (result.RaiseErrors.Total > 0)
            output.WriteLine($"  raise errors {result.RaiseErrors}");
        if (result.PollErrors.Total > 0)
            output.WriteLine($"  poll errors  {result.PollErrors}");
        if (result.Failure is not null)
            output.WriteLine($"  stopped: {result.Failure}");
    }

    public static void OpenLoop(TextWriter output, LoadSettings settings, OpenLoopResult result)
    {
        output.WriteLine($"load: RaiseChallenge -> {settings.Target}, open loop");
        output.WriteLine(Invariant($"  rate {settings.Rate:0.#}/s, {settings.Callers} callers over {CallerPool.Agencies.Count} agencies, warm-up {settings.Warmup.TotalSeconds:0.#} s, measured {result.Measured.TotalSeconds:0.00} s"));
        var seconds = Math.Max(result.Measured.TotalSeconds, 1e-9);
        output.WriteLine(Invariant($"  calls        {result.Calls} (ok {result.Latencies.Count}, errors {result.Errors.Total}); {result.LateStarts} started over 5 ms late (client behind)"));
        output.WriteLine(Invariant($"  throughput   ok {result.Latencies.Count / seconds:0.0}/s"));
        output.WriteLine($"  latency ms   {result.Latencies.Summary()}   (from intended start, HDR)");
        output.WriteLine($"  errors       {result.Errors}");
    }

    public static void RecordTimes(TextWriter output, OpenLoopResult traffic, RecordTimesResult result)
    {
        output.WriteLine(Invariant($"  raises       {traffic.Raised.Count} (recorded {result.Lags.Count}, not recorded in time {result.Missing})"));
        output.WriteLine($"  raise->record ms    {result.Lags.Summary()}   (record time - intended start, HDR)");
        if (result.PollErrors.Total > 0)
            output.WriteLine($"  read errors  {result.PollErrors}");
    }

    public static void BusDrain(TextWriter output, BusDrainResult drain)
    {
        var last = drain.Last;
        output.WriteLine(Invariant($"bus: {last.Groups.Count} consumer groups over {last.Groups.Select(g => g.Topic).Distinct().Count()} topics, {last.Outboxes.Count} outboxes, read every {LoadCommand.BusDrainPollInterval.TotalMilliseconds:0} ms"));
        if (drain.Drained)
            output.WriteLine(Invariant($"  drained      {drain.Elapsed.TotalSeconds:0.000} s after the load ended (every lag and pending 0, every outbox empty; {drain.Readings} readings)"));
        else
            output.WriteLine(Invariant($"  NOT drained  after {drain.Elapsed.TotalSeconds:0.000} s ({drain.Readings} readings){(drain.Failure is null ? "" : "; " + drain.Failure)}; still waiting:"));
        if (drain.LastBusy.Count > 0)
            output.WriteLine("  last busy    " + string.Join(", ", drain.LastBusy.OrderByDescending(b => b.Value).Take(6)
                .Select(b => Invariant($"{b.Key} {b.Value.TotalSeconds:0.00} s"))));
        foreach (var outbox in last.Outboxes.Where(o => o.Length > 0))
            output.WriteLine(Invariant($"    outbox {outbox.Stream}: {outbox.Length}"));
        foreach (var group in last.Groups.Where(g => !g.CaughtUp))
            output.WriteLine(Invariant($"    {group.Topic} / {group.Group}: lag {group.Lag}, pending {group.Pending}"));
    }

    private static string Format(LatencySummary s) => s.Count == 0
        ? "no samples"
        : Invariant($"p50 {s.P50:0.00}  p90 {s.P90:0.00}  p99 {s.P99:0.00}  max {s.Max:0.00}");

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
