using Disputes.EventBus;
using Disputes.Records.Domain;
using Disputes.V1;
using Disputes.V1.Events;
using Google.Protobuf;

namespace Disputes.IntegrationTests;

/// <summary>One entry per event, in the dispute's order, whatever order and however often the events arrive.</summary>
[Collection(RedisCollection.Name)]
public sealed class RecordOrderTests(RedisServerFixture redis) : IAsyncLifetime
{
    private RecordsHost _host = null!;

    public async Task InitializeAsync()
    {
        await redis.FlushAsync();
        _host = await RecordsHost.StartAsync(redis);
    }

    public async Task DisposeAsync() => await _host.DisposeAsync();

    [Fact]
    public async Task Every_event_of_the_full_path_makes_one_entry_of_its_kind_with_its_trace()
    {
        var story = new DisputeStory(RecordsTestSupport.NewChallengeId(), _host.Time.GetUtcNow());
        await _host.DeliverAllAsync(story);

        var entries = await _host.EntriesAsync(story.ChallengeId);

        Assert.Equal(
        [
            RecordEntryKind.ChallengeRaised, RecordEntryKind.Routed, RecordEntryKind.Acknowledged, RecordEntryKind.ReferrerTold,
            RecordEntryKind.Discussion, RecordEntryKind.Escalated, RecordEntryKind.Routed, RecordEntryKind.Review,
            RecordEntryKind.Escalated, RecordEntryKind.TimescaleMissed, RecordEntryKind.Escalated, RecordEntryKind.Escalated,
            RecordEntryKind.ChairAppointed,
        ], entries.Select(e => e.Kind));
        var recorded = story.Events.Where(e => e.Event is not NotificationDelivered { RecipientRole: not RecipientRole.Referrer }).ToList();
        Assert.Equal(recorded.Select(e => e.Context.EventId), entries.Select(e => e.SourceEventId));
        Assert.Equal(recorded.Select(e => e.Context.TraceId), entries.Select(e => e.TraceId));
        Assert.Null(RecordChain.FirstBroken(entries));

        Assert.Contains("concerns are justified", entries[7].Summary);
        Assert.Contains("The school's report stands.", entries[7].Summary);
        Assert.Contains("automatically", entries[10].Summary);
        Assert.Equal(2, entries[10].ManagementTier);
        Assert.Equal(Stage.SafeguardingPartnership, entries[12].Stage);
        Assert.Contains("chair-1", entries[12].Summary);
        Assert.Contains("told", entries[3].Summary);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(5)]
    public async Task Shuffled_and_redelivered_events_make_the_same_record_in_the_disputes_order(int seed)
    {
        var story = new DisputeStory(RecordsTestSupport.NewChallengeId(), _host.Time.GetUtcNow());
        var random = new Random(seed);
        var deliveries = story.Events.Concat(story.Events.Where(_ => random.Next(2) == 0)).OrderBy(_ => random.Next()).ToList();

        foreach (var (@event, context) in deliveries)
            await _host.DeliverAsync(@event, context);

        await AssertInDisputeOrderAsync(story);
    }

    [Fact]
    public async Task Events_delivered_all_at_once_make_one_unbroken_record_in_order()
    {
        var story = new DisputeStory(RecordsTestSupport.NewChallengeId(), _host.Time.GetUtcNow());
        await using var second = await RecordsHost.StartAsync(redis);

        await Task.WhenAll(story.Events.Concat(story.Events).Select((e, i) =>
            Task.Run(() => (i % 2 == 0 ? _host : second).DeliverAsync(e.Event, e.Context))));

        await AssertInDisputeOrderAsync(story);
    }

    [Fact]
    public async Task An_event_arriving_before_its_predecessor_waits_and_is_not_lost()
    {
        var story = new DisputeStory(RecordsTestSupport.NewChallengeId(), _host.Time.GetUtcNow());
        var raised = story.Events[0];
        var acknowledged = story.Events.Single(e => e.Event is ChallengeAcknowledged);
        var discussion = story.Events.Single(e => e.Event is DiscussionRecorded);

        await _host.DeliverAsync(discussion.Event, discussion.Context);
        await _host.DeliverAsync(raised.Event, raised.Context);
        Assert.Equal([RecordEntryKind.ChallengeRaised], (await _host.EntriesAsync(story.ChallengeId)).Select(e => e.Kind));

        await _host.DeliverAsync(acknowledged.Event, acknowledged.Context);

        var entries = await _host.EntriesAsync(story.ChallengeId);
        Assert.Equal([RecordEntryKind.ChallengeRaised, RecordEntryKind.Acknowledged, RecordEntryKind.Discussion], entries.Select(e => e.Kind));
        Assert.Equal(discussion.Context.EventId, entries[2].SourceEventId);
        Assert.Empty(await _host.Store.HeldAsync(story.ChallengeId));
    }

    [Fact]
    public async Task A_republished_change_with_a_new_event_id_adds_nothing()
    {
        var story = new DisputeStory(RecordsTestSupport.NewChallengeId(), _host.Time.GetUtcNow());
        await _host.DeliverAllAsync(story);
        var acknowledged = story.Events.Single(e => e.Event is ChallengeAcknowledged).Event;

        await _host.DeliverAsync(acknowledged, DisputeStory.ContextFor(acknowledged));

        Assert.Equal(story.EntryCount, (await _host.EntriesAsync(story.ChallengeId)).Count);
    }

    private async Task AssertInDisputeOrderAsync(DisputeStory story)
    {
        var entries = (await _host.EntriesAsync(story.ChallengeId)).ToList();
        Assert.Null(RecordChain.FirstBroken(entries));
        Assert.Equal(story.EntryCount, entries.Count);
        var expectedIds = story.Events.Where(e => e.Event is not NotificationDelivered { RecipientRole: not RecipientRole.Referrer })
            .Select(e => e.Context.EventId).Order();
        Assert.Equal(expectedIds, entries.Select(e => e.SourceEventId).Order());

        // Challenge changes in version order; each routing after the change it follows; the chair after stage 4.
        var changes = entries.Where(e => e.Kind is not (RecordEntryKind.Routed or RecordEntryKind.TimescaleMissed or RecordEntryKind.ReferrerTold or RecordEntryKind.ChairAppointed)).ToList();
        Assert.Equal(Enumerable.Range(1, changes.Count).Select(v => (long)v), changes.Select(e => e.ChallengeVersion));
        foreach (var routed in entries.Where(e => e.Kind == RecordEntryKind.Routed))
            Assert.True(entries.IndexOf(routed) > entries.IndexOf(changes.Single(c => c.ChallengeVersion == routed.ChallengeVersion)));
        Assert.True(entries.IndexOf(entries.Single(e => e.Kind == RecordEntryKind.ChairAppointed))
            > entries.IndexOf(changes.Single(c => c.Stage == Stage.SafeguardingPartnership)));
        Assert.Empty(await _host.Store.HeldAsync(story.ChallengeId));
    }
}
