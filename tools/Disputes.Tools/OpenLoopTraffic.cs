using System.Diagnostics;
using Disputes.V1;
using Grpc.Core;

namespace Disputes.Tools;

/// <summary>A raise the open-loop run made, with the wall-clock time it was meant to start.</summary>
public sealed record ScheduledRaise(RaisedChallenge Challenge, DateTimeOffset IntendedStart);

/// <summary>What an open-loop phase measured; only calls meant to start after the warm-up count.</summary>
public sealed record OpenLoopResult(HdrLatency Latencies, StatusCounts Errors, long Calls, long LateStarts, TimeSpan Measured,
    IReadOnlyList<ScheduledRaise> Raised);

/// <summary>
/// Open-loop load: raises at a fixed arrival rate whatever the answers take, each timed from the
/// moment it was meant to start, so a call that waits behind slow ones counts its wait (no
/// coordinated omission). A bound on calls in flight keeps a stalled server from exhausting the client.
/// </summary>
public sealed class OpenLoopTraffic(ChallengeService.ChallengeServiceClient client, CallerPool callers, TimeSpan callTimeout)
{
    public const int MaxInFlight = 4096;

    public async Task<OpenLoopResult> RunAsync(double rate, TimeSpan warmup, TimeSpan duration, long maxCalls, CancellationToken cancellationToken)
    {
        var latencies = new HdrLatency();
        var errors = new StatusCounts();
        var raised = new List<ScheduledRaise>();
        var calls = 0L;
        var lateStarts = 0L;
        using var inFlight = new SemaphoreSlim(MaxInFlight);
        var pending = new List<Task>();
        var wallStart = DateTimeOffset.UtcNow;
        var clock = Stopwatch.StartNew();
        var total = Math.Min(maxCalls, (long)Math.Floor((warmup + duration).TotalSeconds * rate));
        for (var i = 0L; i < total && !cancellationToken.IsCancellationRequested; i++)
        {
            var intended = TimeSpan.FromSeconds(i / rate);
            var wait = intended - clock.Elapsed;
            if (wait > TimeSpan.FromMilliseconds(1))
            {
                try
                {
                    await Task.Delay(wait, cancellationToken);
                }
                catch (OperationCanceledException)
                {
                    break;
                }
            }
            var measured = intended >= warmup;
            if (measured && clock.Elapsed - intended > TimeSpan.FromMilliseconds(5))
                lateStarts++;
            await inFlight.WaitAsync(cancellationToken);
            pending.Add(CallAsync(intended, measured));
            if (measured)
                calls++;
        }
        await Task.WhenAll(pending);
        return new OpenLoopResult(latencies, errors, calls, lateStarts, duration, raised);

        async Task CallAsync(TimeSpan intended, bool measured)
        {
            try
            {
                var caller = callers.Next();
                var request = RaiseRequests.For(caller);
                StatusCode status;
                Challenge? challenge = null;
                try
                {
                    challenge = await client.RaiseChallengeAsync(request, caller.Headers,
                        deadline: DateTime.UtcNow + callTimeout, cancellationToken: cancellationToken);
                    status = StatusCode.OK;
                }
                catch (RpcException ex)
                {
                    status = ex.StatusCode;
                }
                var latency = clock.Elapsed - intended;
                if (!measured)
                    return;
                if (status != StatusCode.OK)
                {
                    lock (errors)
                        errors.Add(status);
                    return;
                }
                latencies.Record(latency);
                lock (raised)
                    raised.Add(new ScheduledRaise(new RaisedChallenge(challenge!.Name, caller.AgencyId), wallStart + intended));
            }
            finally
            {
                inFlight.Release();
            }
        }
    }
}
