using System.Collections.Concurrent;
using Disputes.EventBus;
using Disputes.EventBus.Redis;
using Disputes.Outbox.Redis;
using Disputes.Procedure;
using Disputes.Redis;
using Disputes.V1.Events;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using StackExchange.Redis;

namespace Disputes.IntegrationTests;

/// <summary>
/// The bus laid out for Redis Cluster (issue 12): the outbox in partition streams, a handler's dedupe
/// mark and versions in its dispute's slot, several topics read by one subscriber. Each test holds on
/// one Redis and on a three-node cluster (<see cref="RedisServerFixture.ClusterVariable"/>).
/// </summary>
[Collection(RedisCollection.Name)]
public sealed class PartitionedBusTests(RedisServerFixture redis) : IAsyncLifetime
{
    private const string Topic = "challenge-raised";

    public Task InitializeAsync() => redis.FlushAsync();

    public Task DisposeAsync() => Task.CompletedTask;

    private IDatabase Db => redis.Redis.GetDatabase();

    /// <summary>Disputes 1..n whose partitions all differ, so a test covers several slots.</summary>
    private static ChallengeRaised[] InDistinctPartitions(int count) => Enumerable.Range(1, 500)
        .Select(n => TestEvents.Raised(n))
        .DistinctBy(raised => RedisPartitions.Of(IntegrationEvents.DisputeIdOf(raised)!))
        .Take(count)
        .ToArray();

    [Fact]
    public async Task A_wake_reads_only_the_partitions_written_here_and_the_sweep_relays_what_another_replica_left()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var challenge = await BusHost.StartAsync(redis, "challenge", services => services.AddSingleton<TimeProvider>(time),
            withOutbox: true, settings: new Dictionary<string, string?> { ["EventBus:OutboxSweepInterval"] = "00:00:05" });
        var disputes = InDistinctPartitions(3).Select(raised => challenge.Events.Create(raised)).ToArray();
        // The relay's first round reads every partition; wait until it waits.
        await Eventually.HoldsAsync(async () =>
        {
            foreach (var stream in challenge.Outbox.StreamKeys)
            {
                if (!await Db.KeyExistsAsync(stream) || (await Db.StreamConsumerInfoAsync(stream, RedisOutbox.RelayGroup)).Length != 1)
                    return false;
            }
            return true;
        }, "the relay has read every partition once");

        // Another replica wrote two events and died before relaying them: nothing here was told.
        var otherReplica = OutboxReads.Of("challenge");
        await OutboxReads.AddEachAsync(Db, otherReplica, disputes[..2]);
        // This process writes a third, in another partition: the wake reads that partition.
        await OutboxReads.AddEachAsync(Db, challenge.Outbox, disputes[2..]);

        await Eventually.HoldsAsync(async () => await Db.StreamLengthAsync(Topic) == 1, "the event written here is published at once");
        Assert.Equal(disputes[2].Id, EventEnvelope.TryParse((await Db.StreamRangeAsync(Topic))[0]["data"].ToString())!.Id);
        Assert.Equal(2, await challenge.Outbox.LengthAsync(Db));

        // The sweep, once due, reads every partition.
        time.Advance(TimeSpan.FromSeconds(5));
        await Eventually.HoldsAsync(async () => await Db.StreamLengthAsync(Topic) == 3, "the sweep relays the other replica's events");
        await Eventually.HoldsAsync(async () => await challenge.Outbox.LengthAsync(Db) == 0, "every partition is emptied");
    }

    [Fact]
    public async Task Entries_a_crashed_relay_took_in_any_partition_are_reclaimed_and_published()
    {
        var outbox = OutboxReads.Of("challenge");
        var events = new IntegrationEventFactory(Options.Create(new EventBusOptions { AppId = "challenge" }), TimeProvider.System, IntegrationEvents.Catalog);
        var envelopes = InDistinctPartitions(3).Select(raised => events.Create(raised)).ToArray();
        await OutboxReads.AddEachAsync(Db, outbox, envelopes);
        foreach (var envelope in envelopes)
        {
            var stream = outbox.StreamKeyOf(envelope.DisputeId!);
            await Db.StreamCreateConsumerGroupAsync(stream, RedisOutbox.RelayGroup, "0");
            Assert.Single(await Db.StreamReadGroupAsync(stream, RedisOutbox.RelayGroup, "relay-crashed", ">", 10));
        }

        await using var challenge = await BusHost.StartAsync(redis, "challenge", withOutbox: true, processingTimeout: "00:00:01");

        await Eventually.HoldsAsync(async () => await Db.StreamLengthAsync(Topic) == 3, "the three abandoned entries are reclaimed and published");
        await Eventually.HoldsAsync(async () => await challenge.Outbox.LengthAsync(Db) == 0, "and removed");
        foreach (var envelope in envelopes)
            Assert.Equal(0, (await Db.StreamPendingAsync(outbox.StreamKeyOf(envelope.DisputeId!), RedisOutbox.RelayGroup)).PendingMessageCount);
    }

    [Fact]
    public async Task A_handlers_transaction_over_its_disputes_keys_its_dedupe_mark_and_its_event_is_one_slot()
    {
        var options = Options.Create(new EventBusOptions { AppId = "records" });
        var processed = new RedisProcessedEvents(redis.Redis, options);
        var versions = new RedisAppliedVersions(redis.Redis, options);
        var outbox = new RedisOutbox(options);
        var events = new IntegrationEventFactory(options, TimeProvider.System, IntegrationEvents.Catalog);
        var handled = events.Create(TestEvents.Raised(7));
        var disputeId = handled.DisputeId!;
        var context = EventContext.From(handled);

        var transaction = Db.CreateTransaction();
        _ = transaction.StringSetAsync(RedisPartitions.KeyOf("records:", disputeId, "records:" + disputeId), "state");
        _ = transaction.StringSetAsync(versions.KeyOf(disputeId), 1);
        processed.MarkProcessed(transaction, context);
        outbox.Add(transaction, events.Create(TestEvents.Raised(7)));
        Assert.True(await transaction.ExecuteAsync());

        await context.ProcessedMarkWrite!;
        Assert.True(await processed.WasProcessedAsync(handled.Id, disputeId));
        Assert.False(await processed.WasProcessedAsync(handled.Id, "another-dispute"));
        Assert.Equal(1, await versions.GetAsync(disputeId));
        Assert.Equal(
            [HashSlot.Of(outbox.StreamKeyOf(disputeId))],
            new[] { processed.KeyOf(handled.Id, disputeId), versions.KeyOf(disputeId), outbox.StreamKeyOf(disputeId) }.Select(HashSlot.Of).Distinct());
        Assert.StartsWith($"records:{RedisPartitions.TagOf(disputeId)}:processed:", processed.KeyOf(handled.Id, disputeId).ToString());
    }

    [Fact]
    public async Task A_disputes_parties_are_kept_in_its_slot()
    {
        var parties = new DisputePartiesStore(redis.Redis, "notification:");
        await parties.SaveAsync("c-42", new DisputeParties("police", "health"));

        var key = RedisPartitions.KeyOf("notification:", "c-42", "disputes:c-42");
        Assert.Equal(["health", "police"], (await Db.HashValuesAsync(key)).Select(v => v.ToString()).Order());
        Assert.Equal(new DisputeParties("police", "health"), await parties.GetAsync("c-42"));
    }

    [Fact]
    public async Task One_subscriber_reads_topics_that_live_in_different_slots()
    {
        var topics = new[] { Topic, IntegrationEvents.TopicOf<ChallengeWithdrawn>(), IntegrationEvents.TopicOf<ChallengeAcknowledged>() };
        Assert.Equal(3, topics.Select(topic => HashSlot.Of(topic)).Distinct().Count());
        await using var records = await BusHost.StartAsync(redis, "records", services =>
        {
            services.AddSingleton<Seen>();
            services.AddEventHandler<ChallengeWithdrawn, SeenHandler<ChallengeWithdrawn>>();
            services.AddEventHandler<ChallengeAcknowledged, SeenHandler<ChallengeAcknowledged>>();
        });
        await Eventually.HoldsAsync(async () => (await Task.WhenAll(topics.Select(topic => Db.KeyExistsAsync(topic)))).All(exists => exists),
            "the consumer groups exist");

        await records.Publisher.PublishAsync(records.Events.Create(new ChallengeAcknowledged { Challenge = "challenges/c-1", Version = 2 }), CancellationToken.None);
        await records.Publisher.PublishAsync(records.Events.Create(TestEvents.Raised(1)), CancellationToken.None);
        await records.Publisher.PublishAsync(records.Events.Create(new ChallengeWithdrawn { Challenge = "challenges/c-2", Version = 3 }), CancellationToken.None);

        var seen = records.Services.GetRequiredService<Seen>();
        await Eventually.HoldsAsync(() => seen.Types.Count == 2 && !records.Handler.Handled.IsEmpty, "an event of each topic is handled");
        Assert.Equal(["disputes.v1.ChallengeAcknowledged", "disputes.v1.ChallengeWithdrawn"], seen.Types.Order());
        // And again, after the first answers: the reads still in flight are taken up, none is lost.
        await records.Publisher.PublishAsync(records.Events.Create(new ChallengeWithdrawn { Challenge = "challenges/c-3", Version = 3 }), CancellationToken.None);
        await Eventually.HoldsAsync(() => seen.Types.Count == 3, "the next event is handled too");
    }

    public sealed class Seen
    {
        public ConcurrentQueue<string> Types { get; } = new();
    }

    public sealed class SeenHandler<TEvent>(Seen seen) : IIntegrationEventHandler<TEvent> where TEvent : Google.Protobuf.IMessage
    {
        public Task HandleAsync(TEvent @event, EventContext context, CancellationToken cancellationToken)
        {
            seen.Types.Enqueue(@event.Descriptor.FullName);
            return Task.CompletedTask;
        }
    }
}
