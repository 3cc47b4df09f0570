using Disputes.EventBus;
using StackExchange.Redis;

namespace Disputes.IntegrationTests;

[Collection(RedisCollection.Name)]
public sealed class RedisStreamsBusTests(RedisServerFixture redis) : IAsyncLifetime
{
    private const string Topic = "challenge-raised";

    public Task InitializeAsync() => redis.FlushAsync();

    public Task DisposeAsync() => Task.CompletedTask;

    private IDatabase Db => redis.Redis.GetDatabase();

    [Fact]
    public async Task A_published_event_is_handled_and_then_acknowledged()
    {
        await using var records = await BusHost.StartAsync(redis, "records");
        var envelope = records.Events.Create(TestEvents.Raised());

        await records.Publisher.PublishAsync(envelope, CancellationToken.None);

        await Eventually.HoldsAsync(() => !records.Handler.Handled.IsEmpty, "the handler has the event");
        var (handled, context) = Assert.Single(records.Handler.Handled);
        Assert.Equal(TestEvents.Raised().Challenge, handled.Challenge);
        Assert.Equal(envelope.Id, context.EventId);
        await Eventually.HoldsAsync(async () => (await Db.StreamPendingAsync(Topic, "records")).PendingMessageCount == 0, "the entry is acknowledged");
    }

    [Fact]
    public async Task Each_app_has_its_own_consumer_group_and_its_replicas_share_the_work()
    {
        await using var escalationA = await BusHost.StartAsync(redis, "escalation");
        await using var escalationB = await BusHost.StartAsync(redis, "escalation");
        await using var records = await BusHost.StartAsync(redis, "records");

        for (var i = 1; i <= 20; i++)
            await records.Publisher.PublishAsync(records.Events.Create(TestEvents.Raised(i)), CancellationToken.None);

        await Eventually.HoldsAsync(() => records.Handler.Handled.Count == 20, "records handled all 20");
        await Eventually.HoldsAsync(() => escalationA.Handler.Handled.Count + escalationB.Handler.Handled.Count == 20, "escalation handled all 20");
        var escalationIds = escalationA.Handler.Handled.Concat(escalationB.Handler.Handled).Select(h => h.Context.EventId).ToArray();
        Assert.Equal(20, escalationIds.Distinct().Count());
        var groups = (await Db.StreamGroupInfoAsync(Topic)).Select(g => g.Name).Order().ToArray();
        Assert.Equal(["escalation", "records"], groups);
    }

    [Fact]
    public async Task A_handler_that_keeps_failing_is_retried_then_its_event_goes_to_the_dead_letter_topic()
    {
        await using var records = await BusHost.StartAsync(redis, "records", failuresBeforeSuccess: int.MaxValue);
        var envelope = records.Events.Create(TestEvents.Raised());

        await records.Publisher.PublishAsync(envelope, CancellationToken.None);

        await Eventually.HoldsAsync(async () => await Db.StreamLengthAsync(Topic + "-deadletter") == 1, "the event is dead-lettered");
        Assert.Equal(3, records.Handler.Attempts);
        Assert.Empty(records.Handler.Handled);
        var deadLetter = Assert.Single(await Db.StreamRangeAsync(Topic + "-deadletter"));
        Assert.Equal(envelope.Id, EventEnvelope.TryParse(deadLetter["data"].ToString())!.Id);
        Assert.Equal(0, (await Db.StreamPendingAsync(Topic, "records")).PendingMessageCount);
    }

    [Fact]
    public async Task A_handler_that_recovers_within_its_attempts_handles_the_event_once()
    {
        await using var records = await BusHost.StartAsync(redis, "records", failuresBeforeSuccess: 2);

        await records.Publisher.PublishAsync(records.Events.Create(TestEvents.Raised()), CancellationToken.None);

        await Eventually.HoldsAsync(() => !records.Handler.Handled.IsEmpty, "the handler succeeds");
        Assert.Equal(3, records.Handler.Attempts);
        Assert.False(await Db.KeyExistsAsync(Topic + "-deadletter"));
    }

    [Fact]
    public async Task An_event_delivered_twice_is_handled_once()
    {
        await using var records = await BusHost.StartAsync(redis, "records");
        var envelope = records.Events.Create(TestEvents.Raised());

        await records.Publisher.PublishAsync(envelope, CancellationToken.None);
        await records.Publisher.PublishAsync(envelope, CancellationToken.None);

        await Eventually.HoldsAsync(async () =>
        {
            var groups = await Db.StreamGroupInfoAsync(Topic);
            return groups.Length == 1 && groups[0].PendingMessageCount == 0 && groups[0].LastDeliveredId == (await Db.StreamRangeAsync(Topic, messageOrder: Order.Descending, count: 1))[0].Id;
        }, "both deliveries are acknowledged");
        Assert.Single(records.Handler.Handled);
    }

    [Fact]
    public async Task An_entry_left_pending_by_a_crashed_consumer_is_reclaimed_and_handled()
    {
        // A consumer of the records group read the entry and died before acknowledging it.
        await Db.StreamCreateConsumerGroupAsync(Topic, "records", "0", createStream: true);
        await using (var publisherOnly = await BusHost.StartAsync(redis, "publisher"))
            await publisherOnly.Publisher.PublishAsync(publisherOnly.Events.Create(TestEvents.Raised()), CancellationToken.None);
        var taken = await Db.StreamReadGroupAsync(Topic, "records", "records-crashed", ">", 10);
        Assert.Single(taken);

        await using var records = await BusHost.StartAsync(redis, "records", processingTimeout: "00:00:00.300");

        await Eventually.HoldsAsync(() => !records.Handler.Handled.IsEmpty, "the abandoned entry is handled");
        await Eventually.HoldsAsync(async () => (await Db.StreamPendingAsync(Topic, "records")).PendingMessageCount == 0, "it is acknowledged");
    }

    [Fact]
    public async Task An_entry_that_is_not_a_CloudEvent_goes_to_the_dead_letter_topic_without_reaching_the_handler()
    {
        await using var records = await BusHost.StartAsync(redis, "records");

        await Db.StreamAddAsync(Topic, "data", "this is not JSON");

        await Eventually.HoldsAsync(async () => await Db.StreamLengthAsync(Topic + "-deadletter") == 1, "the entry is dead-lettered");
        Assert.Equal(0, records.Handler.Attempts);
    }
}
