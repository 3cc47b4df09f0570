using System.Diagnostics;
using Disputes.V1;
using Grpc.Core;

namespace Disputes.Tools;

/// <summary>Raise-to-record time of open-loop raises; <c>Missing</c> were not recorded within the limit.</summary>
public sealed record RecordTimesResult(HdrLatency Lags, long Missing, StatusCounts PollErrors);

/// <summary>
/// Raise-to-record time without polling during the run: after the load, each raise's first record
/// entry is read, and its record time (stamped by the records service as it seals the entry) is
/// taken against the moment the raise was meant to start. Both clocks are this machine's.
/// </summary>
public sealed class RecordTimes(RecordsService.RecordsServiceClient records, CallerPool callers, TimeSpan callTimeout)
{
    private const int Readers = 8;

    public async Task<RecordTimesResult> MeasureAsync(IReadOnlyList<ScheduledRaise> raised, TimeSpan limit, CancellationToken cancellationToken)
    {
        var lags = new HdrLatency();
        var pollErrors = new StatusCounts();
        var missing = 0L;
        var clock = Stopwatch.StartNew();
        var next = -1;
        await Task.WhenAll(Enumerable.Range(0, Readers).Select(async _ =>
        {
            for (var i = Interlocked.Increment(ref next); i < raised.Count; i = Interlocked.Increment(ref next))
            {
                var recordTime = await FirstRecordTimeAsync(raised[i].Challenge, () => clock.Elapsed < limit, pollErrors, cancellationToken);
                if (recordTime is { } recorded)
                    lags.Record(recorded - raised[i].IntendedStart);
                else
                    Interlocked.Increment(ref missing);
            }
        }));
        return new RecordTimesResult(lags, missing, pollErrors);
    }

    private async Task<DateTimeOffset?> FirstRecordTimeAsync(RaisedChallenge raised, Func<bool> inTime, StatusCounts pollErrors,
        CancellationToken cancellationToken)
    {
        var request = new ListRecordEntriesRequest { Parent = raised.Name, PageSize = 1 };
        while (inTime() && !cancellationToken.IsCancellationRequested)
        {
            var reader = callers.NextOf(raised.RaisingAgencyId);
            try
            {
                var response = await records.ListRecordEntriesAsync(request, reader.Headers,
                    deadline: DateTime.UtcNow + callTimeout, cancellationToken: cancellationToken);
                if (response.Entries.Count > 0)
                    return response.Entries[0].RecordTime.ToDateTimeOffset();
            }
            // NOT_FOUND: not recorded yet (the backlog is still draining).
            catch (RpcException ex) when (ex.StatusCode == StatusCode.NotFound)
            {
            }
            catch (RpcException ex) when (!cancellationToken.IsCancellationRequested)
            {
                lock (pollErrors)
                    pollErrors.Add(ex.StatusCode);
                if (ex.StatusCode is StatusCode.Unimplemented or StatusCode.Unauthenticated or StatusCode.PermissionDenied or StatusCode.InvalidArgument)
                    return null;
            }
            try
            {
                await Task.Delay(TimeSpan.FromMilliseconds(20), cancellationToken);
            }
            catch (OperationCanceledException)
            {
                return null;
            }
        }
        return null;
    }
}
