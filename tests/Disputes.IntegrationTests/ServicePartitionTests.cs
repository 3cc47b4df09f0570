using Disputes.Escalation.Events;
using Disputes.Escalation.Storage;
using Disputes.EventBus;
using Disputes.Procedure;
using Disputes.Records.Storage;
using Disputes.Redis;
using Disputes.V1;
using Disputes.V1.Events;
using Google.Protobuf;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using StackExchange.Redis;

namespace Disputes.IntegrationTests;

/// <summary>
/// Escalation's and records' keys on the partition layout (issue 12): a dispute's keys share its
/// slot, the cross-dispute indexes are per partition and read merged, in the order and pages one
/// index gave; and records' remembered sources expire without an event being recorded twice.
/// </summary>
[Collection(RedisCollection.Name)]
public sealed class ServicePartitionTests(RedisServerFixture redis) : IAsyncLifetime
{
    // Monday 23 November 2026, 10:00 UTC.
    private static readonly DateTimeOffset RaisedAt = new(2026, 11, 23, 10, 0, 0, TimeSpan.Zero);

    public Task InitializeAsync() => redis.FlushAsync();

    public Task DisposeAsync() => Task.CompletedTask;

    private IDatabase Db => redis.Redis.GetDatabase();

    /// <summary>Every key of every primary (all three nodes of a cluster).</summary>
    private async Task<IReadOnlyList<string>> KeysAsync(string pattern)
    {
        var keys = new List<string>();
        foreach (var server in redis.Redis.GetServers().Where(s => !s.IsReplica))
        {
            await foreach (var key in server.KeysAsync(pattern: pattern))
                keys.Add(key.ToString());
        }
        return keys;
    }

    private static async Task RaiseAsync(EscalationTestHost host, string id, DateTimeOffset at)
    {
        var raised = EscalationEvents.Raised(id, at, lookedAfter: false);
        await using var scope = host.Services.CreateAsyncScope();
        await scope.ServiceProvider.GetRequiredService<ChallengeRaisedHandler>().HandleAsync(raised,
            new EventContext(Guid.NewGuid().ToString("N"), "challenge", DateTimeOffset.UtcNow, null, id), CancellationToken.None);
    }

    [Fact]
    public async Task Every_escalation_key_of_a_dispute_is_in_its_partitions_slot_and_the_directory_in_one_slot_of_its_own()
    {
        var clock = new FakeTimeProvider(RaisedAt);
        await using var host = await EscalationTestHost.StartAsync(redis, clock);
        await host.LoadDemoDirectoryAsync();
        var ids = Enumerable.Range(0, 24).Select(_ => EscalationEvents.NewChallengeId()).ToArray();
        foreach (var id in ids)
            await RaiseAsync(host, id, RaisedAt);
        var witness = new RecordWitness
        {
            Name = $"challenges/{ids[0]}/recordWitness",
            Sequence = 12,
            HeadHash = new string('a', 64),
            Entry = $"challenges/{ids[0]}/entries/{EscalationEvents.NewChallengeId()}",
            WitnessTime = Google.Protobuf.WellKnownTypes.Timestamp.FromDateTimeOffset(RaisedAt),
        };
        var witnesses = host.Get<RecordWitnessStore>();
        Assert.True(await witnesses.AdvanceAsync(ids[0], witness));
        Assert.False(await witnesses.AdvanceAsync(ids[0], new RecordWitness(witness) { Sequence = 9 }));
        // Kept without what its key says, given back whole.
        Assert.Equal(witness, await witnesses.GetAsync(ids[0]));

        Assert.True(ids.Select(RedisPartitions.Of).Distinct().Count() > 1, "the disputes span several partitions");
        var keys = await KeysAsync("escalation:*");
        foreach (var id in ids)
        {
            var ofDispute = keys.Where(k => k.Contains(id, StringComparison.Ordinal)).ToArray();
            Assert.Contains(ofDispute, k => k.Contains(":escalations:", StringComparison.Ordinal));
            Assert.All(ofDispute, k => Assert.StartsWith("escalation:" + RedisPartitions.TagOf(id) + ":", k));
        }
        var directory = keys.Where(k => k.Contains("directory", StringComparison.Ordinal)).ToArray();
        Assert.NotEmpty(directory);
        Assert.All(directory, k => Assert.StartsWith("escalation:{directory}:", k));
        Assert.Single(directory.Select(k => HashSlot.Of(k)).Distinct());
        // Only the keys of no dispute (policies, the chair rotation, each written alone) and the outbox are untagged.
        Assert.All(keys.Where(k => !k.Contains('{')), k => Assert.Matches("^escalation:(policies:|chair-rotation$|outbox)", k));
    }

    [Fact]
    public async Task The_timers_of_every_partition_fire_soonest_first_and_the_lists_page_across_partitions_in_due_time_order()
    {
        var clock = new FakeTimeProvider(RaisedAt);
        await using var host = await EscalationTestHost.StartAsync(redis, clock);
        var store = host.Get<EscalationStore>();
        // Raised a working day apart, so their due times differ; several share a partition, several do not.
        var ids = new List<string>();
        for (var day = 0; day < 12; day++)
        {
            var id = EscalationEvents.NewChallengeId();
            ids.Add(id);
            await RaiseAsync(host, id, RaisedAt.AddDays(day));
        }
        Assert.True(ids.Select(RedisPartitions.Of).Distinct().Count() > 1, "the disputes span several partitions");

        var next = await store.NextFireTimeAsync();
        var due = await store.DueTimersAsync(RaisedAt.AddYears(1), take: 5);
        Assert.Equal(5, due.Count);
        Assert.Equal(due.OrderBy(t => t.Score).ThenBy(t => t.TimerId, StringComparer.Ordinal).ToArray(), due.ToArray());
        Assert.Equal(next, DateTimeOffset.FromUnixTimeMilliseconds((long)due[0].Score));
        long count = 0;
        foreach (var partition in RedisPartitions.All)
            count += await Db.SortedSetLengthAsync(EscalationStore.TimersIn(partition));
        Assert.Equal(count, await store.TimerCountAsync());
        // The soonest five of all: every timer not taken fires no sooner than the last one taken.
        foreach (var partition in RedisPartitions.All)
        {
            var entries = await Db.SortedSetRangeByScoreWithScoresAsync(EscalationStore.TimersIn(partition));
            Assert.All(entries.Where(e => !due.Any(d => d.TimerId == e.Element.ToString())), e => Assert.True(e.Score >= due[^1].Score));
        }

        // Past every due time: every escalation is due "soon" (from long ago) and overdue; paged three at a time.
        clock.Advance(TimeSpan.FromDays(60));
        await Eventually.HoldsAsync(async () =>
            (await host.Client.ListOverdueEscalationsAsync(new ListOverdueEscalationsRequest { PageSize = 100 }, host.Partnership)).Escalations.Count == ids.Count,
            "every escalation is overdue");
        var expected = (await store.GetManyAsync(ids)).Select(s => EscalationStore.IndexMember(s!.Escalation)).Order(StringComparer.Ordinal)
            .Select(EscalationStore.ChallengeIdOfMember).ToArray();
        var paged = new List<string>();
        var token = "";
        do
        {
            var page = await host.Client.ListOverdueEscalationsAsync(new ListOverdueEscalationsRequest { PageSize = 3, PageToken = token }, host.Partnership);
            Assert.True(page.Escalations.Count <= 3);
            paged.AddRange(page.Escalations.Select(e => e.Name.Split('/')[1]));
            token = page.NextPageToken;
        }
        while (token.Length > 0);
        Assert.Equal(expected, paged);
    }

    [Fact]
    public async Task Every_records_key_of_a_dispute_is_in_its_partitions_slot_and_the_escalation_log_merges_the_partitions()
    {
        await using var host = await RecordsHost.StartAsync(redis);
        var stories = Enumerable.Range(0, 8).Select(i => new DisputeStory(RecordsTestSupport.NewChallengeId(), host.Time.GetUtcNow().AddDays(i))).ToArray();
        foreach (var story in stories)
            await host.DeliverAllAsync(story);

        Assert.True(stories.Select(s => RedisPartitions.Of(s.ChallengeId)).Distinct().Count() > 1, "the disputes span several partitions");
        var keys = await KeysAsync("records:*");
        foreach (var story in stories)
        {
            // The parties' key (records:disputes:…) is the shared DisputePartiesStore's, tagged by the event bus work.
            var ofDispute = keys.Where(k => k.Contains(story.ChallengeId, StringComparison.Ordinal) && !k.StartsWith("records:disputes:", StringComparison.Ordinal)).ToArray();
            Assert.Contains(RecordStore.EntriesKey(story.ChallengeId).ToString(), ofDispute);
            Assert.Contains(RecordStore.SourcesKey(story.ChallengeId).ToString(), ofDispute);
            Assert.All(ofDispute, k => Assert.StartsWith("records:" + RedisPartitions.TagOf(story.ChallengeId) + ":", k));
        }

        var raised = await host.Store.RaisedBetweenAsync(host.Time.GetUtcNow().AddDays(-1), host.Time.GetUtcNow().AddDays(30));
        Assert.Equal(stories.Length, raised.Count);
        Assert.Equal(raised.OrderBy(r => r.RaisedTime).ToArray(), raised.ToArray());
    }

    [Fact]
    public async Task A_disputes_sources_expire_after_the_retention_and_an_old_redelivery_is_still_recorded_once()
    {
        await using var host = await RecordsHost.StartAsync(redis);
        var story = new DisputeStory(RecordsTestSupport.NewChallengeId(), host.Time.GetUtcNow());
        await host.DeliverAllAsync(story);
        var recorded = (await host.EntriesAsync(story.ChallengeId)).Count;
        Assert.Equal(story.EntryCount, recorded);

        // Remembered for the retention after the last append, in one key of the dispute.
        var ttl = await Db.KeyTimeToLiveAsync(RecordStore.SourcesKey(story.ChallengeId));
        Assert.NotNull(ttl);
        Assert.InRange(ttl!.Value, host.Store.SourceRetention - TimeSpan.FromMinutes(5), host.Store.SourceRetention);
        Assert.Empty(await KeysAsync("records:events:*"));

        // The retention passes: the sources expire (deleted here as Redis would), and every event is
        // delivered again, as a replayed dead letter would be, long after it occurred.
        host.Time.Advance(host.Store.SourceRetention + TimeSpan.FromDays(1));
        await Db.KeyDeleteAsync(RecordStore.SourcesKey(story.ChallengeId));
        foreach (var (@event, context) in story.Events)
            await host.DeliverAsync(@event, context with { Time = host.Time.GetUtcNow() - host.Store.SourceRetention - TimeSpan.FromHours(2) });

        // Challenge changes are stale by their version; the rest (routing, deliveries, a missed
        // timescale, the chair) are found by the source event ids of the entries.
        Assert.Equal(recorded, (await host.EntriesAsync(story.ChallengeId)).Count);
    }
}
