using Disputes.EventBus;
using Disputes.Outbox.Redis;
using Disputes.Redis;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace Disputes.UnitTests;

/// <summary>The outbox's partition streams, and the wake-up that says which of them were written.</summary>
public sealed class OutboxPartitionsTests
{
    private static readonly RedisOutbox Outbox = new(Options.Create(new EventBusOptions { AppId = "challenge" }));

    private static EventEnvelope Envelope(string id, string? disputeId) =>
        new(id, "challenge", "disputes.v1.ChallengeRaised", "challenge-raised", "pubsub", DateTimeOffset.UnixEpoch, "{}", DisputeId: disputeId);

    [Fact]
    public void A_disputes_events_go_to_its_partitions_stream_beside_its_keys()
    {
        var partition = RedisPartitions.Of("c-1");
        Assert.Equal($"challenge:{RedisPartitions.Tag(partition)}:outbox", Outbox.StreamKeyOf("c-1").ToString());
        Assert.Equal(partition, RedisOutbox.PartitionOf(Envelope("e-1", "c-1")));
        Assert.Equal($"challenge:{RedisPartitions.Tag(partition)}:outbox:deadletter", Outbox.DeadLetterStreamKeyIn(partition).ToString());
        Assert.Equal($"challenge:{RedisPartitions.Tag(partition)}:outbox:attempts", Outbox.AttemptsKeyIn(partition).ToString());
        Assert.Equal(RedisPartitions.Count, Outbox.StreamKeys.Distinct().Count());
        Assert.Equal("challenge:outbox", Outbox.Name);
    }

    [Fact]
    public void An_event_without_a_dispute_goes_to_the_partition_of_its_own_id()
    {
        Assert.Equal(RedisPartitions.Of("e-9"), RedisOutbox.PartitionOf(Envelope("e-9", null)));
    }

    [Fact]
    public void The_signal_remembers_which_partitions_were_written_until_they_are_taken()
    {
        var signal = new OutboxSignal();
        signal.Notify(3);
        signal.Notify(12);
        signal.Notify(3);

        Assert.Equal((1 << 3) | (1 << 12), signal.TakeWritten());
        Assert.Equal(0, signal.TakeWritten());

        // A write that did not say where (a script): every partition.
        signal.Notify();
        Assert.Equal((1 << RedisPartitions.Count) - 1, signal.TakeWritten());
        Assert.Throws<ArgumentOutOfRangeException>(() => signal.Notify(RedisPartitions.Count));
    }

    [Fact]
    public async Task A_partition_written_wakes_the_waiting_relay()
    {
        var signal = new OutboxSignal();
        var time = new FakeTimeProvider();
        var waiting = signal.WaitAsync(TimeSpan.FromHours(1), time, CancellationToken.None);
        Assert.False(waiting.IsCompleted);

        signal.Notify(5);

        await waiting.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(1 << 5, signal.TakeWritten());
    }
}
