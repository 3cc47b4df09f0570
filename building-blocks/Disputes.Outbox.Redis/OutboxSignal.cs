using Disputes.Redis;

namespace Disputes.Outbox.Redis;

/// <summary>
/// An auto-reset wake-up: <see cref="Notify"/> after an outbox write commits; the relay waits on it,
/// with a timeout so entries another process wrote (a replica that died) are still swept up.
/// Notifications while the relay is busy collapse into one. It also remembers which partitions were
/// written since the relay last asked (<see cref="TakeWritten"/>), so a wake reads only those.
/// </summary>
public sealed class OutboxSignal
{
    private const int AllPartitions = (1 << RedisPartitions.Count) - 1;
    private TaskCompletionSource _written = NewSource();
    private int _partitions;

    /// <summary>A write to this partition's stream committed.</summary>
    public void Notify(int partition)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(partition);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(partition, RedisPartitions.Count);
        // The partition is recorded before the wake, so the woken relay always finds it.
        Interlocked.Or(ref _partitions, 1 << partition);
        Volatile.Read(ref _written).TrySetResult();
    }

    /// <summary>A write committed without saying to which partition: a reader of every partition is woken.</summary>
    public void Notify()
    {
        Interlocked.Or(ref _partitions, AllPartitions);
        Volatile.Read(ref _written).TrySetResult();
    }

    /// <summary>The partitions written since the last call (bit n = partition n), cleared.</summary>
    public int TakeWritten() => Interlocked.Exchange(ref _partitions, 0);

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
