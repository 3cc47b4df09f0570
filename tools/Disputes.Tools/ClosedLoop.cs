using System.Diagnostics;
using Grpc.Core;

namespace Disputes.Tools;

/// <summary>What one closed-loop round counted after its warm-up.</summary>
public sealed record RoundResult(long Calls, StatusCounts Errors, TimeSpan Measured)
{
    public double CallsPerSecond => Measured > TimeSpan.Zero ? Calls / Measured.TotalSeconds : 0;
}

/// <summary>
/// Closed-loop calls of any kind: <c>concurrency</c> workers each send a call, wait for its answer
/// and send the next, for a warm-up (not counted) and then a measured time. Only successful calls
/// started after the warm-up count; failures are counted by status. Bounded by time and by calls.
/// </summary>
public static class ClosedLoop
{
    public static async Task<RoundResult> RunAsync(int concurrency, TimeSpan warmup, TimeSpan duration, long maxCalls,
        Func<CancellationToken, Task> call, CancellationToken cancellationToken)
    {
        var taken = 0L;
        var clock = Stopwatch.StartNew();
        var stopAt = warmup + duration;
        var workers = Enumerable.Range(0, concurrency).Select(_ => Task.Run(async () =>
        {
            var calls = 0L;
            var errors = new StatusCounts();
            while (!cancellationToken.IsCancellationRequested && clock.Elapsed < stopAt && Interlocked.Increment(ref taken) <= maxCalls)
            {
                var measured = clock.Elapsed >= warmup;
                try
                {
                    await call(cancellationToken);
                    if (measured)
                        calls++;
                }
                catch (RpcException ex) when (!cancellationToken.IsCancellationRequested)
                {
                    if (measured)
                        errors.Add(ex.StatusCode);
                }
                catch (Exception) when (cancellationToken.IsCancellationRequested)
                {
                    break;
                }
            }
            return (calls, errors);
        }, CancellationToken.None)).ToArray();
        var results = await Task.WhenAll(workers);
        var measuredTime = clock.Elapsed - warmup;
        var allErrors = new StatusCounts();
        foreach (var (_, errors) in results)
            allErrors.Add(errors);
        return new RoundResult(results.Sum(r => r.calls), allErrors, measuredTime > TimeSpan.Zero ? measuredTime : TimeSpan.Zero);
    }
}
