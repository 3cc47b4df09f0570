using Disputes.Outbox.Redis;
using Microsoft.Extensions.Time.Testing;

namespace Disputes.UnitTests;

public sealed class OutboxSignalTests
{
    private readonly FakeTimeProvider _time = new();
    private readonly OutboxSignal _signal = new();

    [Fact]
    public async Task A_notification_before_the_wait_is_not_lost()
    {
        _signal.Notify();

        var wait = _signal.WaitAsync(TimeSpan.FromHours(1), _time, CancellationToken.None);

        Assert.True(wait.IsCompletedSuccessfully);
        await wait;
    }

    [Fact]
    public async Task A_notification_during_the_wait_ends_it_and_is_then_used_up()
    {
        var wait = _signal.WaitAsync(TimeSpan.FromHours(1), _time, CancellationToken.None);
        Assert.False(wait.IsCompleted);

        _signal.Notify();
        await wait;

        Assert.False(_signal.WaitAsync(TimeSpan.FromHours(1), _time, CancellationToken.None).IsCompleted);
    }

    [Fact]
    public async Task Without_a_notification_the_wait_ends_at_the_sweep_timeout()
    {
        var wait = _signal.WaitAsync(TimeSpan.FromSeconds(2), _time, CancellationToken.None);

        _time.Advance(TimeSpan.FromSeconds(1));
        Assert.False(wait.IsCompleted);
        _time.Advance(TimeSpan.FromSeconds(1));

        await wait;
    }

    [Fact]
    public async Task Many_notifications_while_busy_collapse_into_one_wake()
    {
        _signal.Notify();
        _signal.Notify();
        _signal.Notify();

        await _signal.WaitAsync(TimeSpan.FromHours(1), _time, CancellationToken.None);

        Assert.False(_signal.WaitAsync(TimeSpan.FromHours(1), _time, CancellationToken.None).IsCompleted);
    }

    [Fact]
    public async Task Cancellation_ends_the_wait()
    {
        using var stopping = new CancellationTokenSource();
        var wait = _signal.WaitAsync(TimeSpan.FromHours(1), _time, stopping.Token);

        await stopping.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => wait);
    }
}
