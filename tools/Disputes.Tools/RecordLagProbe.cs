using System.Diagnostics;
using Disputes.V1;
using Grpc.Core;

namespace Disputes.Tools;

/// <summary>How long raises took to appear in the records service; <c>Failure</c> says why sampling stopped early.</summary>
public sealed record RecordLagResult(LatencyRecorder Lags, LatencyRecorder Raises, int TimedOut, StatusCounts RaiseErrors,
    StatusCounts PollErrors, string? Failure);

/// <summary>How long the load's backlog took to reach the records service.</summary>
public sealed record DrainResult(TimeSpan Elapsed, bool Drained, StatusCounts PollErrors, string? Failure);

/// <summary>
/// Raise-to-record time: the challenge service answers once the challenge and its event are
/// in Redis; the records entry appears only after the outbox relay publishes the event and
/// the records subscriber handles it. This polls the records API until the entry is there.
/// </summary>
public sealed class RecordLagProbe(
    ChallengeService.ChallengeServiceClient challenges,
    RecordsService.RecordsServiceClient records,
    CallerPool callers,
    TimeSpan pollInterval,
    TimeSpan giveUpAfter,
    TimeSpan callTimeout)
{
    private enum Outcome { Recorded, TimedOut, Failed }

    /// <summary>
    /// Waits until the load phase's last raises are recorded, so the samples that follow
    /// measure an idle pipeline rather than the backlog the load left behind.
    /// </summary>
    public async Task<DrainResult> DrainAsync(IReadOnlyList<RaisedChallenge> lastRaised, TimeSpan limit, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        var pollErrors = new StatusCounts();
        foreach (var raised in lastRaised)
        {
            var left = limit - clock.Elapsed;
            var outcome = left > TimeSpan.Zero ? await WaitForEntryAsync(raised, left, pollErrors, cancellationToken) : Outcome.TimedOut;
            if (outcome != Outcome.Recorded)
                return new DrainResult(clock.Elapsed, false, pollErrors, outcome == Outcome.Failed ? FailureOf(pollErrors) : null);
        }
        return new DrainResult(clock.Elapsed, true, pollErrors, null);
    }

    /// <summary>Sequential samples: raise one challenge, poll until its entry exists, then the next.</summary>
    public async Task<RecordLagResult> SampleAsync(int samples, CancellationToken cancellationToken)
    {
        var (lags, raises, raiseErrors, pollErrors) = (new LatencyRecorder(), new LatencyRecorder(), new StatusCounts(), new StatusCounts());
        var timedOut = 0;
        for (var i = 0; i < samples && !cancellationToken.IsCancellationRequested; i++)
        {
            var caller = callers.Next();
            var started = Stopwatch.GetTimestamp();
            Challenge raised;
            try
            {
                raised = await challenges.RaiseChallengeAsync(RaiseRequests.For(caller), caller.Headers,
                    deadline: DateTime.UtcNow + callTimeout, cancellationToken: cancellationToken);
            }
            catch (RpcException ex) when (!cancellationToken.IsCancellationRequested)
            {
                raiseErrors.Add(ex.StatusCode);
                continue;
            }
            raises.Record(Stopwatch.GetElapsedTime(started));

            switch (await WaitForEntryAsync(new RaisedChallenge(raised.Name, caller.AgencyId), giveUpAfter, pollErrors, cancellationToken))
            {
                case Outcome.Recorded:
                    lags.Record(Stopwatch.GetElapsedTime(started));
                    break;
                case Outcome.TimedOut when !cancellationToken.IsCancellationRequested:
                    timedOut++;
                    break;
                case Outcome.Failed:
                    return new RecordLagResult(lags, raises, timedOut, raiseErrors, pollErrors, FailureOf(pollErrors));
            }
        }
        return new RecordLagResult(lags, raises, timedOut, raiseErrors, pollErrors, null);
    }

    /// <summary>Polls the record until it has an entry, the limit passes, or an answer shows waiting is pointless.</summary>
    private async Task<Outcome> WaitForEntryAsync(RaisedChallenge raised, TimeSpan limit, StatusCounts pollErrors, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        var maxPolls = (long)Math.Ceiling(limit / pollInterval) + 1;
        var request = new ListRecordEntriesRequest { Parent = raised.Name, PageSize = 1 };
        for (var poll = 0L; poll < maxPolls && clock.Elapsed < limit && !cancellationToken.IsCancellationRequested; poll++)
        {
            // Rotate readers of the raising agency, so polling does not trip the gateway's per-caller limit.
            var reader = callers.NextOf(raised.RaisingAgencyId);
            try
            {
                var response = await records.ListRecordEntriesAsync(request, reader.Headers,
                    deadline: DateTime.UtcNow + callTimeout, cancellationToken: cancellationToken);
                if (response.Entries.Count > 0)
                    return Outcome.Recorded;
            }
            // NOT_FOUND is expected: the records service does not know the dispute until the event arrives.
            catch (RpcException ex) when (ex.StatusCode == StatusCode.NotFound)
            {
            }
            catch (RpcException ex) when (!cancellationToken.IsCancellationRequested)
            {
                pollErrors.Add(ex.StatusCode);
                if (IsPermanent(ex.StatusCode))
                    return Outcome.Failed;
            }
            catch (Exception) when (cancellationToken.IsCancellationRequested)
            {
                return Outcome.TimedOut;
            }
            try
            {
                await Task.Delay(pollInterval, cancellationToken);
            }
            catch (OperationCanceledException)
            {
                return Outcome.TimedOut;
            }
        }
        return Outcome.TimedOut;
    }

    /// <summary>Answers that polling again cannot change: the wrong service, or a token it refuses.</summary>
    private static bool IsPermanent(StatusCode code) =>
        code is StatusCode.Unimplemented or StatusCode.Unauthenticated or StatusCode.PermissionDenied or StatusCode.InvalidArgument;

    private static string FailureOf(StatusCounts pollErrors) =>
        $"ListRecordEntries failed ({pollErrors}); is --records-target the records service (or the gateway), with the same signing key?";
}
