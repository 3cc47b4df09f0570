namespace Disputes.EventBus.Redis;

/// <summary>
/// An auto-reset wake-up: <see cref="Notify"/> after an outbox write commits; the relay waits on it,
/// with a timeout so entries another process wrote (a replica that died) are still swept up.
/// Notifications while the relay is busy collapse into one: it reads everything pending anyway.
/// </summary>
public sealed class OutboxSignal
{
    private TaskCompletionSource _written = NewSource();

    public void Notify() => Volatile.Read(ref _written).TrySetResult();

    /// <summary>
    /// Waits for a notification or the timeout, whichever comes first, then resets. Resetting before the
    /// caller reads again means a write that commits after the reset wakes the next wait.
    /// </summary>
    public async Task WaitAsync(TimeSpan timeout, TimeProvider timeProvider, CancellationToken cancellationToken)
    {
        var current = Volatile.Read(ref _written);
        try
        {
            if (!current.Task.IsCompleted && timeout > TimeSpan.Zero)
                await current.Task.WaitAsync(timeout, timeProvider, cancellationToken);
        }
        catch (TimeoutException)
        {
        }
        finally
        {
            Interlocked.CompareExchange(ref _written, NewSource(), current);
        }
    }

    private static TaskCompletionSource NewSource() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}
