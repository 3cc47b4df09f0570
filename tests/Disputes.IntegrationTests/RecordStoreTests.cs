using Disputes.Outbox.Redis;
using Disputes.Procedure;
using Disputes.Records.Domain;
using Disputes.Records.Storage;
using Disputes.Redis;
using Disputes.V1;
using StackExchange.Redis;

namespace Disputes.IntegrationTests;

[Collection(RedisCollection.Name)]
public sealed class RecordStoreTests(RedisServerFixture redis) : IAsyncLifetime
{
    private const string ChallengeId = "01JD0000000000000000000007";

    public Task InitializeAsync() => redis.FlushAsync();

    public Task DisposeAsync() => Task.CompletedTask;

    [Fact]
    public async Task Concurrent_appends_make_one_unbroken_chain()
    {
        var stores = Enumerable.Range(0, 4).Select(_ => new RecordStore(ConnectionMultiplexer.Connect(redis.ConnectionString), TimeProvider.System)).ToArray();

        await Task.WhenAll(Enumerable.Range(1, 40).Select(i =>
            stores[i % stores.Length].AppendAsync(ChallengeId, new RecordEntry { Kind = RecordEntryKind.Discussion, Summary = $"entry {i}" }, "trace", $"event-{i}")));

        var entries = await stores[0].ListAsync(ChallengeId);
        Assert.Equal(Enumerable.Range(1, 40).Select(i => (long)i), entries.Select(e => e.Sequence));
        Assert.Null(RecordChain.FirstBroken(entries));
        Assert.Equal(40, entries.Select(e => e.Summary).Distinct().Count());
    }

    [Fact]
    public async Task An_event_is_recorded_once_however_often_it_is_delivered()
    {
        var store = new RecordStore(redis.Redis, TimeProvider.System);

        var first = await store.AppendAsync(ChallengeId, new RecordEntry { Summary = "raised" }, "trace-1", "event-1");
        var again = await store.AppendAsync(ChallengeId, new RecordEntry { Summary = "raised" }, "trace-1", "event-1");

        Assert.NotNull(first);
        Assert.Null(again);
        Assert.Equal(1, await store.CountAsync(ChallengeId));
    }

    [Fact]
    public async Task Tampering_with_a_stored_entry_is_detected()
    {
        var store = new RecordStore(redis.Redis, TimeProvider.System);
        for (var i = 1; i <= 3; i++)
            await store.AppendAsync(ChallengeId, new RecordEntry { Summary = $"entry {i}" }, "trace", null);

        var key = RecordStore.EntriesKey(ChallengeId);
        var second = RecordEntry.Parser.ParseFrom((byte[])(await redis.Redis.GetDatabase().ListGetByIndexAsync(key, 1))!);
        second.Summary = "a different account";
        await redis.Redis.GetDatabase().ListSetByIndexAsync(key, 1, Google.Protobuf.MessageExtensions.ToByteArray(second));

        Assert.Equal(second.Name, RecordChain.FirstBroken(await store.ListAsync(ChallengeId))?.Name);
    }
}

[Collection(RedisCollection.Name)]
public sealed class RecordStoreWakeTests(RedisServerFixture redis) : IAsyncLifetime
{
    private const string ChallengeId = "01JD0000000000000000000008";

    public Task InitializeAsync() => redis.FlushAsync();

    public Task DisposeAsync() => Task.CompletedTask;

    [Fact]
    public async Task An_append_without_an_event_of_its_own_still_wakes_the_relay_for_the_head_it_advanced()
    {
        // The head-advanced event went out only with the relay's slow sweep (1-2 s per append) before.
        var options = Microsoft.Extensions.Options.Options.Create(new Disputes.EventBus.EventBusOptions { AppId = "records" });
        var outbox = new RedisOutbox(options);
        var store = new RecordStore(redis.Redis, TimeProvider.System, new RecordCheckpoints(null), outbox,
            new Disputes.EventBus.IntegrationEventFactory(options, TimeProvider.System, IntegrationEvents.Catalog));

        Assert.NotNull(await store.AppendAsync(ChallengeId, new RecordEntry { Kind = RecordEntryKind.Discussion, Summary = "discussed" }, "trace", "event-1"));

        Assert.Equal(1, await redis.Redis.GetDatabase().StreamLengthAsync(outbox.StreamKeyOf(ChallengeId)));
        Assert.Equal(1 << RedisPartitions.Of(ChallengeId), outbox.Written.TakeWritten());
    }
}
