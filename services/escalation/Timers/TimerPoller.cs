using Disputes.Escalation.Application;
using Disputes.Escalation.Domain;
using Disputes.Escalation.Storage;
using System.Diagnostics;
using Disputes.EventBus;
using Microsoft.Extensions.Options;

namespace Disputes.Escalation.Timers;

/// <summary>
/// Fires the durable timers: sleeps until the soonest timer is due (or the poll interval, as
/// another replica may set a sooner one), then fires every due timer. Each firing is claimed
/// in the same transaction that records it and writes its event, so with several replicas a
/// timer fires once; after downtime the overdue timers fire late, never not at all.
/// </summary>
public sealed partial class TimerPoller(
    EscalationStore store,
    EscalationWriter writer,
    EscalationLifecycle lifecycle,
    EscalationTimers timers,
    TimerSignal signal,
    IOptions<EscalationOptions> options,
    TimeProvider time,
    ILogger<TimerPoller> logger) : BackgroundService
{
    public const string ActivitySourceName = "Disputes.Escalation";

    private static readonly ActivitySource Source = new(ActivitySourceName);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var failures = 0;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                var (taken, failed) = await FireDueAsync(stoppingToken);
                EscalationMetrics.TimersPending(await store.TimerCountAsync());
                failures = 0;
                if (failed == 0 && taken >= options.Value.TimerBatchSize)
                    continue;
                // A timer that failed stays due: wait the poll interval rather than spin on it.
                await WaitForNextAsync(stoppingToken, atLeastPollInterval: failed > 0);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                failures++;
                LogPollFailed(ex, failures);
                await Task.Delay(TimeSpan.FromMilliseconds(200 * Math.Min(failures, 25)), time, stoppingToken);
            }
        }
    }

    /// <summary>Fires the timers due now; returns how many were taken and how many of those failed.</summary>
    public async Task<(int Taken, int Failed)> FireDueAsync(CancellationToken cancellationToken)
    {
        var due = await store.DueTimersAsync(time.GetUtcNow(), options.Value.TimerBatchSize);
        var failed = 0;
        foreach (var (timerId, score) in due)
        {
            cancellationToken.ThrowIfCancellationRequested();
            try
            {
                await FireAsync(timerId, score);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                // One bad timer never stops the others; it stays set and is tried again next round.
                failed++;
                LogFireFailed(ex, timerId);
            }
        }
        return (due.Count, failed);
    }

    private async Task FireAsync(string timerId, double score)
    {
        var challengeId = EscalationTimers.ChallengeIdOfTimer(timerId);
        // A span per firing, tagged with the dispute: the events it publishes carry its trace.
        using var activity = Source.StartActivity("fire timer", ActivityKind.Internal);
        activity?.SetTag(EventBusTelemetry.DisputeIdTag, challengeId);
        activity?.SetTag("disputes.timer.id", timerId);
        EscalationTimer? firing = null;
        var stored = await writer.UpdateAsync(challengeId, (current, policy, directory) =>
        {
            firing = timers.Pending(current.Escalation, policy).FirstOrDefault(t => t.Id == timerId);
            return firing is null ? null : lifecycle.Fire(current.Escalation, current.Facts, directory, firing, time.GetUtcNow());
        }, claim: (timerId, score));
        if (firing is not null && stored is not null)
        {
            LogFired(timerId, DateTimeOffset.FromUnixTimeMilliseconds((long)score));
            EscalationMetrics.TimerFired(firing.Kind, time.GetUtcNow() - DateTimeOffset.FromUnixTimeMilliseconds((long)score));
        }
        // Moved or cancelled by a stage change, or its escalation is gone: nothing to fire. (When
        // another replica fired it first, the timer is gone and this removes nothing.)
        else if (await store.DiscardTimerAsync(timerId, score))
            LogDiscarded(timerId);
    }

    private async Task WaitForNextAsync(CancellationToken stoppingToken, bool atLeastPollInterval)
    {
        var now = time.GetUtcNow();
        var next = atLeastPollInterval ? null : await store.NextFireTimeAsync();
        var wait = options.Value.TimerPollInterval;
        if (next is { } at && at - now < wait)
            wait = at - now;
        if (wait <= TimeSpan.Zero)
            return;
        // Woken early when this replica sets a sooner timer.
        using var wake = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken, signal.Token);
        try
        {
            await Task.Delay(wait, time, wake.Token);
        }
        catch (OperationCanceledException) when (!stoppingToken.IsCancellationRequested)
        {
        }
    }

    [LoggerMessage(LogLevel.Debug, "Timer {TimerId} fired (due {Due:o})")]
    private partial void LogFired(string timerId, DateTimeOffset due);

    [LoggerMessage(LogLevel.Debug, "Timer {TimerId} no longer applies; discarded")]
    private partial void LogDiscarded(string timerId);

    [LoggerMessage(LogLevel.Warning, "Timer {TimerId} could not be fired; it is tried again")]
    private partial void LogFireFailed(Exception exception, string timerId);

    [LoggerMessage(LogLevel.Warning, "Timer poll failed ({Failures} in a row); retrying")]
    private partial void LogPollFailed(Exception exception, int failures);
}

/// <summary>Wakes the poller when a timer is set, so a sooner timer is not left waiting for the poll interval.</summary>
public sealed class TimerSignal
{
    private CancellationTokenSource _source = new();

    public CancellationToken Token => Volatile.Read(ref _source).Token;

    public void Wake()
    {
        // Not disposed: a waiter may be linking to its token right now.
        Interlocked.Exchange(ref _source, new CancellationTokenSource()).Cancel();
    }
}
