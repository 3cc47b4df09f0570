using Disputes.Tools;
using Microsoft.Extensions.Time.Testing;
using StackExchange.Redis;

namespace Disputes.IntegrationTests;

/// <summary>The load command's bus drain reading (lag, pending, outboxes) against a real redis-server.</summary>
[Collection(RedisCollection.Name)]
public sealed class BusLagTests(RedisServerFixture redis) : IAsyncLifetime
{
    private const string Raised = "challenge-raised";
    private const string Withdrawn = "challenge-withdrawn";

    public Task InitializeAsync() => redis.FlushAsync();

    public Task DisposeAsync() => Task.CompletedTask;

    private IDatabase Db => redis.Redis.GetDatabase();

    [Fact]
    public async Task Reading_reports_each_groups_lag_and_pending_and_each_outbox_until_all_are_zero()
    {
        for (var i = 0; i < 5; i++)
            await Db.StreamAddAsync(Raised, "data", $"e{i}");
        await Db.StreamCreateConsumerGroupAsync(Raised, "records", "0");
        await Db.StreamCreateConsumerGroupAsync(Raised, "escalation", "0");
        await Db.StreamCreateConsumerGroupAsync(Withdrawn, "records", "$", createStream: true);
        await Db.StreamAddAsync("challenge:outbox", "envelope", "{}");
        await Db.StreamAddAsync("challenge:outbox:deadletter", "envelope", "{}");
        // records has read three entries and acknowledged one; escalation has read none.
        var read = await Db.StreamReadGroupAsync(Raised, "records", "records-1", ">", 3);
        await Db.StreamAcknowledgeAsync(Raised, "records", read[0].Id);

        var reader = await BusLagReader.OpenAsync(redis.Redis);
        var reading = await reader.ReadAsync();

        Assert.False(reading.Drained);
        Assert.Equal(
            [new GroupLag(Raised, "escalation", 5, 0), new GroupLag(Raised, "records", 2, 2), new GroupLag(Withdrawn, "records", 0, 0)],
            reading.Groups.OrderBy(g => g.Topic, StringComparer.Ordinal).ThenBy(g => g.Group, StringComparer.Ordinal));
        // The outbox's dead letters are not work the pipeline will do: they are not waited for.
        Assert.Equal([new OutboxBacklog("challenge:outbox", 1)], reading.Outboxes);

        var result = await BusDrain.WaitAsync(reader.ReadAsync, TimeSpan.Zero, TimeSpan.FromMilliseconds(10), new FakeTimeProvider(), CancellationToken.None);
        Assert.Equal((false, 1, null), (result.Drained, result.Readings, result.Failure));
        Assert.Equal(["escalation", "records"], result.Last.Groups.Where(g => !g.CaughtUp).Select(g => g.Group).Order(StringComparer.Ordinal));
        Assert.Equal(["challenge-raised / escalation", "challenge-raised / records", "outbox challenge:outbox"],
            result.LastBusy.Keys.Order(StringComparer.Ordinal));

        // Everyone catches up: the rest delivered and acknowledged, the outbox relayed (XDEL leaves an empty stream).
        var rest = await Db.StreamReadGroupAsync(Raised, "records", "records-1", ">", 10);
        await Db.StreamAcknowledgeAsync(Raised, "records", read.Skip(1).Concat(rest).Select(e => e.Id).ToArray());
        var escalation = await Db.StreamReadGroupAsync(Raised, "escalation", "escalation-1", ">", 10);
        await Db.StreamAcknowledgeAsync(Raised, "escalation", escalation.Select(e => e.Id).ToArray());
        var outboxed = await Db.StreamRangeAsync("challenge:outbox");
        await Db.StreamDeleteAsync("challenge:outbox", outboxed.Select(e => e.Id).ToArray());

        var drained = await BusDrain.WaitAsync(reader.ReadAsync, TimeSpan.FromMinutes(1), TimeSpan.FromMilliseconds(10), new FakeTimeProvider(), CancellationToken.None);
        Assert.True(drained.Drained);
        Assert.Equal(1, drained.Readings);
        Assert.All(drained.Last.Groups, g => Assert.True(g.CaughtUp, $"{g.Topic} / {g.Group}"));
        Assert.Equal([new OutboxBacklog("challenge:outbox", 0)], drained.Last.Outboxes);
        Assert.Empty(drained.LastBusy);
    }

    [Fact]
    public async Task Lag_is_counted_when_redis_cannot_say_it_after_entries_were_deleted()
    {
        var ids = new List<RedisValue>();
        for (var i = 0; i < 4; i++)
            ids.Add(await Db.StreamAddAsync(Raised, "data", $"e{i}"));
        await Db.StreamCreateConsumerGroupAsync(Raised, "notification", "0");
        await Db.StreamReadGroupAsync(Raised, "notification", "n-1", ">", 1);
        // A deletion after the group's position leaves Redis unable to give the lag (XINFO says nil).
        await Db.StreamDeleteAsync(Raised, [ids[2]]);

        var reading = await (await BusLagReader.OpenAsync(redis.Redis)).ReadAsync();

        Assert.Equal([new GroupLag(Raised, "notification", 2, 1)], reading.Groups);
        Assert.Empty(reading.Outboxes);
        Assert.False(reading.Drained);
    }
}
