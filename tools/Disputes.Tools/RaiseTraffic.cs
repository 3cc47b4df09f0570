using System.Diagnostics;
using Disputes.V1;
using Grpc.Core;

namespace Disputes.Tools;

/// <summary>What a load phase measured; only calls started after the warm-up count.</summary>
public sealed record TrafficResult(
    LatencyRecorder Latencies,
    StatusCounts Errors,
    TimeSpan Measured,
    long WarmupCalls,
    IReadOnlyList<RaisedChallenge> LastRaised)
{
    public long Calls => Latencies.Count + Errors.Total;
}

/// <summary>A challenge the load raised, and who may read its record.</summary>
public sealed record RaisedChallenge(string Name, string RaisingAgencyId);

/// <summary>
/// Closed-loop load: each worker raises, waits for the answer, and raises again, so the
/// offered load is the concurrency and latency is not hidden by a queue in the client.
/// </summary>
public sealed class RaiseTraffic(ChallengeService.ChallengeServiceClient client, CallerPool callers, TimeSpan callTimeout)
{
    public async Task<TrafficResult> RunAsync(int concurrency, TimeSpan warmup, TimeSpan duration, long maxCalls, CancellationToken cancellationToken)
    {
        var budget = new CallBudget(maxCalls);
        var clock = Stopwatch.StartNew();
        var workers = Enumerable.Range(0, concurrency)
            .Select(_ => Task.Run(() => WorkerAsync(clock, warmup, warmup + duration, budget, cancellationToken), CancellationToken.None))
            .ToArray();
        var results = await Task.WhenAll(workers);
        var measured = clock.Elapsed - warmup;

        var latencies = new LatencyRecorder();
        var errors = new StatusCounts();
        foreach (var worker in results)
        {
            latencies.Add(worker.Latencies);
            errors.Add(worker.Errors);
        }
        return new TrafficResult(latencies, errors, measured > TimeSpan.Zero ? measured : TimeSpan.Zero,
            results.Sum(w => w.WarmupCalls), results.Where(w => w.Last is not null).Select(w => w.Last!).ToArray());
    }

    private async Task<WorkerResult> WorkerAsync(Stopwatch clock, TimeSpan measureFrom, TimeSpan stopAt, CallBudget budget,
        CancellationToken cancellationToken)
    {
        var result = new WorkerResult();
        while (!cancellationToken.IsCancellationRequested && clock.Elapsed < stopAt && budget.TryTake())
        {
            var caller = callers.Next();
            var request = RaiseRequests.For(caller);
            var measured = clock.Elapsed >= measureFrom;
            var started = Stopwatch.GetTimestamp();
            StatusCode status;
            try
            {
                var raised = await client.RaiseChallengeAsync(request, caller.Headers,
                    deadline: DateTime.UtcNow + callTimeout, cancellationToken: cancellationToken);
                result.Last = new RaisedChallenge(raised.Name, caller.AgencyId);
                status = StatusCode.OK;
            }
            catch (RpcException ex) when (!cancellationToken.IsCancellationRequested)
            {
                status = ex.StatusCode;
            }
            catch (Exception) when (cancellationToken.IsCancellationRequested)
            {
                break;
            }
            var elapsed = Stopwatch.GetTimestamp() - started;

            if (!measured)
                result.WarmupCalls++;
            else if (status == StatusCode.OK)
                result.Latencies.Record(elapsed);
            else
                result.Errors.Add(status);
        }
        return result;
    }

    private sealed class WorkerResult
    {
        public LatencyRecorder Latencies { get; } = new();
        public StatusCounts Errors { get; } = new();
        public long WarmupCalls { get; set; }
        public RaisedChallenge? Last { get; set; }
    }

    /// <summary>A hard cap on calls across workers, whatever the duration.</summary>
    private sealed class CallBudget(long max)
    {
        private long _taken;

        public bool TryTake() => Interlocked.Increment(ref _taken) <= max;
    }
}
