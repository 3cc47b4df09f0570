using Disputes.Records.Domain;
using Disputes.Records.Storage;
using Disputes.V1;
using Google.Protobuf;
using StackExchange.Redis;

namespace Disputes.IntegrationTests;

/// <summary>
/// Issue 6 finding 4: a record cut short, deleted or rewritten in Redis must not verify. Each
/// test tampers with the stored record straight in Redis and asks VerifyRecord.
/// </summary>
[Collection(RedisCollection.Name)]
public sealed class RecordVerificationTests(RedisServerFixture redis) : IAsyncLifetime
{
    private RecordsHost _host = null!;
    private DisputeStory _story = null!;

    public async Task InitializeAsync()
    {
        await redis.FlushAsync();
        _host = await RecordsHost.StartAsync(redis);
        _story = new DisputeStory(RecordsTestSupport.NewChallengeId(), _host.Time.GetUtcNow());
        await _host.DeliverAllAsync(_story);
    }

    public async Task DisposeAsync() => await _host.DisposeAsync();

    private IDatabase Db => redis.Redis.GetDatabase();
    private string Id => _story.ChallengeId;
    private Grpc.Core.Metadata Referrer => _host.Bearer("pc-101", "police");

    private Task<VerifyRecordResponse> VerifyAsync() =>
        _host.Client.VerifyRecordAsync(new VerifyRecordRequest { Parent = $"challenges/{Id}" }, Referrer).ResponseAsync;

    [Fact]
    public async Task An_untouched_record_is_intact_and_sealed_by_its_checkpoint()
    {
        var result = await VerifyAsync();
        Assert.True(result.Intact, string.Join(" ", result.Problems));
        Assert.Equal(_story.EntryCount, result.EntriesChecked);
        Assert.Equal(_story.EntryCount, result.HeadSequence);
        Assert.Equal(CheckpointStatus.Valid, result.Checkpoint);
        Assert.False(result.HasMissingAfterSequence);
    }

    [Fact]
    public async Task A_truncated_tail_is_reported_as_missing()
    {
        await Db.ListRightPopAsync(RecordStore.EntriesKey(Id));
        await Db.ListRightPopAsync(RecordStore.EntriesKey(Id));

        var result = await VerifyAsync();

        Assert.False(result.Intact);
        Assert.Equal(_story.EntryCount - 2, result.MissingAfterSequence);
        Assert.Equal(_story.EntryCount, result.HeadSequence);
        Assert.Equal("", result.FirstBrokenEntry);
    }

    [Fact]
    public async Task A_deleted_record_is_reported_as_missing_from_the_start()
    {
        await Db.KeyDeleteAsync(RecordStore.EntriesKey(Id));

        var result = await VerifyAsync();

        Assert.False(result.Intact);
        Assert.Equal(0, result.MissingAfterSequence);
        Assert.Equal(0, result.EntriesChecked);
    }

    [Fact]
    public async Task A_deleted_record_with_its_head_and_checkpoint_is_still_reported()
    {
        await Db.KeyDeleteAsync([RecordStore.EntriesKey(Id), RecordStore.HeadKey(Id), RecordStore.CheckpointKey(Id)]);

        var result = await VerifyAsync();

        Assert.False(result.Intact);
        Assert.Equal(0, result.MissingAfterSequence);
        Assert.Contains(result.Problems, p => p.Contains("head is missing"));
    }

    [Fact]
    public async Task Truncating_and_moving_the_head_back_is_caught_by_the_checkpoint()
    {
        var last = RecordEntry.Parser.ParseFrom((byte[])(await Db.ListGetByIndexAsync(RecordStore.EntriesKey(Id), -2))!);
        await Db.ListRightPopAsync(RecordStore.EntriesKey(Id));
        await Db.StringSetAsync(RecordStore.HeadKey(Id), $"{last.Sequence}:{last.Hash}");

        var result = await VerifyAsync();

        Assert.False(result.Intact);
        Assert.Equal(CheckpointStatus.Valid, result.Checkpoint);
        Assert.Equal(last.Sequence, result.MissingAfterSequence);
        Assert.Equal(_story.EntryCount, result.HeadSequence);
    }

    [Fact]
    public async Task A_checkpoint_written_without_the_key_is_forged()
    {
        var last = RecordEntry.Parser.ParseFrom((byte[])(await Db.ListGetByIndexAsync(RecordStore.EntriesKey(Id), -2))!);
        await Db.ListRightPopAsync(RecordStore.EntriesKey(Id));
        await Db.StringSetAsync(RecordStore.HeadKey(Id), $"{last.Sequence}:{last.Hash}");
        var otherKey = RecordCheckpoints.FromBase64(Convert.ToBase64String(new byte[32]));
        await Db.StringSetAsync(RecordStore.CheckpointKey(Id), otherKey.Seal(Id, last.Sequence, last.Hash)!.ToString());

        var result = await VerifyAsync();

        Assert.False(result.Intact);
        Assert.Equal(CheckpointStatus.Forged, result.Checkpoint);
    }

    [Fact]
    public async Task A_changed_entry_is_named()
    {
        var key = RecordStore.EntriesKey(Id);
        var third = RecordEntry.Parser.ParseFrom((byte[])(await Db.ListGetByIndexAsync(key, 2))!);
        third.Summary = "A different account of the acknowledgement.";
        await Db.ListSetByIndexAsync(key, 2, third.ToByteArray());

        var result = await VerifyAsync();

        Assert.False(result.Intact);
        Assert.Equal(third.Name, result.FirstBrokenEntry);
    }

    [Fact]
    public async Task A_resealed_rewrite_of_the_last_entry_is_named_by_the_checkpoint()
    {
        var key = RecordStore.EntriesKey(Id);
        var last = RecordEntry.Parser.ParseFrom((byte[])(await Db.ListGetByIndexAsync(key, -1))!);
        last.Summary = "Someone else was appointed.";
        RecordChain.Seal(last, last.PreviousHash);
        await Db.ListSetByIndexAsync(key, -1, last.ToByteArray());
        await Db.StringSetAsync(RecordStore.HeadKey(Id), $"{last.Sequence}:{last.Hash}");

        var result = await VerifyAsync();

        Assert.False(result.Intact);
        Assert.Equal(last.Name, result.FirstBrokenEntry);
        Assert.Contains(result.Problems, p => p.Contains("checkpoint"));
    }

    [Fact]
    public async Task A_removed_middle_entry_is_named_by_the_entry_after_it()
    {
        var key = RecordStore.EntriesKey(Id);
        var fourth = await Db.ListGetByIndexAsync(key, 3);
        var fifth = RecordEntry.Parser.ParseFrom((byte[])(await Db.ListGetByIndexAsync(key, 4))!);
        await Db.ListRemoveAsync(key, fourth);

        var result = await VerifyAsync();

        Assert.False(result.Intact);
        Assert.Equal(fifth.Name, result.FirstBrokenEntry);
    }

    [Fact]
    public async Task Without_a_checkpoint_key_a_truncated_tail_is_still_found_by_the_head()
    {
        await using var host = await RecordsHost.StartAsync(redis, withCheckpointKey: false);
        var story = new DisputeStory(RecordsTestSupport.NewChallengeId(), host.Time.GetUtcNow());
        await host.DeliverAllAsync(story);
        await Db.ListRightPopAsync(RecordStore.EntriesKey(story.ChallengeId));

        var result = await host.Client.VerifyRecordAsync(new VerifyRecordRequest { Parent = $"challenges/{story.ChallengeId}" }, host.Bearer("pc-101", "police"));

        Assert.False(result.Intact);
        Assert.Equal(CheckpointStatus.NotConfigured, result.Checkpoint);
        Assert.Equal(story.EntryCount - 1, result.MissingAfterSequence);
    }
}
