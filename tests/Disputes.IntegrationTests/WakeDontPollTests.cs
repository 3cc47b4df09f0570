using Disputes.Challenge.Commands;
using Disputes.Challenge.Storage;
using Disputes.EventBus;
using Disputes.EventBus.Redis;
using Disputes.Outbox.Redis;
using Disputes.Procedure;
using Disputes.Redis;
using Disputes.ServiceDefaults.Identity;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using StackExchange.Redis;

namespace Disputes.IntegrationTests;

/// <summary>
/// Events travel without polling: the relay is woken by the outbox write, consumers wait in a
/// blocking read. The clocks here are fake and never advanced, so no sleep, sweep or poll
/// interval can be what delivers the event.
/// </summary>
[Collection(RedisCollection.Name)]
public sealed class WakeDontPollTests(RedisServerFixture redis) : IAsyncLifetime
{
    private const string Topic = "challenge-raised";

    public Task InitializeAsync() => redis.FlushAsync();

    public Task DisposeAsync() => Task.CompletedTask;

    private IDatabase Db => redis.Redis.GetDatabase();

    private static Dictionary<string, string?> Settings(string blockTime = "00:00:30", string sweep = "00:10:00") => new()
    {
        ["EventBus:BlockTime"] = blockTime,
        ["EventBus:OutboxSweepInterval"] = sweep,
    };

    [Fact]
    public async Task An_outbox_write_wakes_the_relay_and_the_blocked_consumer_receives_it_with_time_standing_still()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var records = await BusHost.StartAsync(redis, "records", services => services.AddSingleton<TimeProvider>(time),
            withOutbox: true, settings: Settings());
        var envelope = records.Events.Create(TestEvents.Raised());
        var stream = records.Outbox.StreamKeyOf(envelope.DisputeId!);
        // Both loops have made their first read and now wait: the relay on its signal, the consumer in its block.
        await Eventually.HoldsAsync(async () => await Db.KeyExistsAsync(stream)
            && (await Db.StreamConsumerInfoAsync(stream, RedisOutbox.RelayGroup)).Length == 1,
            "the relay has read the outbox once");
        await Eventually.HoldsAsync(InBlockingReadAsync,
            "the consumer has read its topic once");

        var transaction = Db.CreateTransaction();
        records.Outbox.Add(transaction, envelope);
        Assert.True(await transaction.ExecuteAsync());

        await Eventually.HoldsAsync(() => !records.Handler.Handled.IsEmpty, "the consumer handled the event");
        Assert.Equal(envelope.Id, Assert.Single(records.Handler.Handled).Context.EventId);
        await Eventually.HoldsAsync(async () => await Db.StreamLengthAsync(stream) == 0, "the relay removed the published entry");
    }

    [Fact]
    public async Task A_committed_outbox_write_signals_the_relay_and_a_transaction_whose_condition_fails_does_not()
    {
        var outbox = new RedisOutbox(Options.Create(new EventBusOptions { AppId = "wake" }));
        var events = new IntegrationEventFactory(Options.Create(new EventBusOptions { AppId = "wake" }), TimeProvider.System, IntegrationEvents.Catalog);
        var time = new FakeTimeProvider();

        var refused = Db.CreateTransaction();
        var first = events.Create(TestEvents.Raised());
        refused.AddCondition(Condition.KeyExists(RedisPartitions.KeyOf("wake:", first.DisputeId!, "no-such-key")));
        outbox.Add(refused, first);
        Assert.False(await refused.ExecuteAsync());
        var waiting = outbox.Written.WaitAsync(TimeSpan.FromHours(1), time, CancellationToken.None);
        Assert.False(waiting.IsCompleted);

        Assert.Equal(0, outbox.Written.TakeWritten());

        var committed = Db.CreateTransaction();
        var envelope = events.Create(TestEvents.Raised());
        outbox.Add(committed, envelope);
        Assert.True(await committed.ExecuteAsync());

        await waiting.WaitAsync(TimeSpan.FromSeconds(15));
        Assert.Equal(1, await Db.StreamLengthAsync(outbox.StreamKeyOf(envelope.DisputeId!)));
        // The wake names the partition written, so the relay reads that one stream only.
        Assert.Equal(1 << RedisOutbox.PartitionOf(envelope), outbox.Written.TakeWritten());
    }

    [Fact]
    public async Task The_blocking_read_has_a_connection_of_its_own_so_the_shared_one_stays_free()
    {
        await using var records = await BusHost.StartAsync(redis, "records", settings: Settings(blockTime: "00:01:00"));
        await Eventually.HoldsAsync(InBlockingReadAsync,
            "the consumer is in its blocking read");
        // A minute-long block on the shared multiplexer would hold this behind it.
        var shared = records.Services.GetRequiredService<IConnectionMultiplexer>().GetDatabase();
        await shared.PingAsync().WaitAsync(TimeSpan.FromSeconds(15));
        await records.Publisher.PublishAsync(records.Events.Create(TestEvents.Raised()), CancellationToken.None);
        await Eventually.HoldsAsync(() => !records.Handler.Handled.IsEmpty, "the event is handled while the block runs");
    }

    [Fact]
    public async Task Shutdown_does_not_wait_out_the_block()
    {
        var records = await BusHost.StartAsync(redis, "records", settings: Settings(blockTime: "00:01:00"));
        await Eventually.HoldsAsync(InBlockingReadAsync,
            "the consumer is in its blocking read");
        var subscriber = records.Services.GetServices<IHostedService>().OfType<RedisStreamSubscriber>().Single();

        // The host gives up on a background service once this token fires; the subscriber must have ended by itself.
        using var patience = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        await records.StopAsync(patience.Token);

        Assert.True(subscriber.ExecuteTask!.IsCompleted, "the subscriber ended without waiting out its minute-long block");
        await records.DisposeAsync();
    }

    [Fact]
    public async Task Reclaim_still_runs_while_the_consumer_blocks_for_longer_than_the_processing_timeout()
    {
        // Another consumer of the group took the entry and died before acknowledging it.
        await Db.StreamCreateConsumerGroupAsync(Topic, "records", "0", createStream: true);
        await Db.StreamAddAsync(Topic, RedisStreamFields.Data, EventEnvelopeFor(1));
        Assert.Single(await Db.StreamReadGroupAsync(Topic, "records", "records-crashed", ">", 10));

        // The first reclaim, at start, finds it not yet idle long enough; only a later one can take it,
        // and a minute-long block must not hold that back.
        await using var records = await BusHost.StartAsync(redis, "records", processingTimeout: "00:00:02",
            settings: Settings(blockTime: "00:01:00"));

        await Eventually.HoldsAsync(() => !records.Handler.Handled.IsEmpty, "the abandoned entry is reclaimed and handled");
        await Eventually.HoldsAsync(async () => (await Db.StreamPendingAsync(Topic, "records")).PendingMessageCount == 0, "it is acknowledged");
    }

    [Fact]
    public async Task A_batch_is_acknowledged_together_and_nothing_stays_pending()
    {
        await Db.StreamCreateConsumerGroupAsync(Topic, "records", "0", createStream: true);
        for (var i = 1; i <= 20; i++)
            await Db.StreamAddAsync(Topic, RedisStreamFields.Data, EventEnvelopeFor(i));

        await using var records = await BusHost.StartAsync(redis, "records", settings: Settings());

        await Eventually.HoldsAsync(() => records.Handler.Handled.Count == 20, "all 20 are handled");
        await Eventually.HoldsAsync(async () => (await Db.StreamPendingAsync(Topic, "records")).PendingMessageCount == 0, "all 20 are acknowledged");
        Assert.Equal(20, records.Handler.Handled.Select(h => h.Context.EventId).Distinct().Count());
    }

    [Fact]
    public async Task A_processed_event_id_expires_after_the_deduplication_window()
    {
        await using var records = await BusHost.StartAsync(redis, "records", settings: new Dictionary<string, string?>
        {
            ["EventBus:DeduplicationWindow"] = "02:00:00",
        });
        var envelope = records.Events.Create(TestEvents.Raised());

        await records.Publisher.PublishAsync(envelope, CancellationToken.None);

        var mark = RedisProcessedEvents.KeyOf("records", envelope.Id, envelope.DisputeId);
        await Eventually.HoldsAsync(async () => await Db.KeyExistsAsync(mark), "the event is marked processed");
        var ttl = await Db.KeyTimeToLiveAsync(mark);
        Assert.NotNull(ttl);
        Assert.InRange(ttl.Value, TimeSpan.FromHours(2) - TimeSpan.FromMinutes(5), TimeSpan.FromHours(2));
    }

    [Fact]
    public async Task A_request_id_the_challenge_service_stores_expires()
    {
        var outbox = new RedisOutbox(Options.Create(new EventBusOptions { AppId = "challenge" }));
        var events = new IntegrationEventFactory(Options.Create(new EventBusOptions { AppId = "challenge" }), TimeProvider.System, IntegrationEvents.Catalog);
        var commands = new ChallengeCommandHandler(new ChallengeStore(redis.Redis, outbox), events, TimeProvider.System);

        await commands.RaiseAsync(ChallengeCommandsTests.NewRaise(requestId: "raise-ttl-1"),
            new Caller("pc-101", "police", new HashSet<string> { DisputeRoles.Practitioner }));

        var requestKeys = ClusterKeys.Matching(redis.Redis, "challenge:*requests:*");
        var key = Assert.Single(requestKeys);
        var ttl = await Db.KeyTimeToLiveAsync(key);
        Assert.NotNull(ttl);
        Assert.True(ttl > TimeSpan.Zero);
    }

    /// <summary>A client of the server is blocked in XREADGROUP (a blocked read does not show as a consumer before it is served).</summary>
    private async Task<bool> InBlockingReadAsync()
    {
        var clients = (string)(await Db.ExecuteAsync("CLIENT", "LIST"))!;
        return clients.Split('\n').Any(client => client.Contains(" flags=b ", StringComparison.Ordinal) && client.Contains(" cmd=xreadgroup ", StringComparison.Ordinal));
    }

    private static string EventEnvelopeFor(int n)
    {
        var events = new IntegrationEventFactory(Options.Create(new EventBusOptions { AppId = "challenge" }), TimeProvider.System, IntegrationEvents.Catalog);
        return events.Create(TestEvents.Raised(n)).ToCloudEventJson();
    }
}
