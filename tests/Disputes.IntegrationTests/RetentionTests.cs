using Disputes.Procedure;
using Disputes.Records.Domain;
using Disputes.Records.Storage;
using Disputes.V1;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;

namespace Disputes.IntegrationTests;

/// <summary>Retention per agency, legal hold and purge on a fake clock: the narrative goes, the chain still verifies.</summary>
[Collection(RedisCollection.Name)]
public sealed class RetentionTests(RedisServerFixture redis) : IAsyncLifetime
{
    private RecordsHost _host = null!;
    private DisputeStory _story = null!;

    public async Task InitializeAsync()
    {
        await redis.FlushAsync();
        _host = await RecordsHost.StartAsync(redis, settings: new()
        {
            ["Records:Retention:DefaultYears"] = "7",
            ["Records:Retention:Agencies:police"] = "1",
            ["Records:Retention:Agencies:childrens-social-care"] = "2",
        });
        _story = new DisputeStory(RecordsTestSupport.NewChallengeId(), _host.Time.GetUtcNow());
        await _host.DeliverAllAsync(_story);
        var resolved = _story.Resolved();
        resolved.OccurTime = Timestamp.FromDateTimeOffset(_host.Time.GetUtcNow());
        await _host.DeliverAsync(resolved, DisputeStory.ContextFor(resolved));
    }

    public async Task DisposeAsync() => await _host.DisposeAsync();

    private string Parent => $"challenges/{_story.ChallengeId}";
    private Metadata Partnership => _host.Bearer("scp-1", "partnership", DisputeRoles.Partnership);

    private Task<PurgeExpiredRecordsResponse> PurgeAsync() =>
        _host.Client.PurgeExpiredRecordsAsync(new PurgeExpiredRecordsRequest(), Partnership).ResponseAsync;

    [Fact]
    public async Task A_closed_record_keeps_its_narrative_for_the_longer_agency_rule_and_under_legal_hold_then_is_purged_intact()
    {
        Assert.Empty((await PurgeAsync()).Purged);
        _host.Time.Advance(TimeSpan.FromDays(548));
        Assert.Empty((await PurgeAsync()).Purged);

        await _host.Client.SetLegalHoldAsync(new SetLegalHoldRequest { Parent = Parent, Hold = true, Reason = "Care proceedings." }, Partnership);
        _host.Time.Advance(TimeSpan.FromDays(548));
        var whileHeld = await PurgeAsync();
        Assert.Empty(whileHeld.Purged);
        Assert.Equal([Parent], whileHeld.Held);
        Assert.Contains("Received.", (await _host.EntriesAsync(_story.ChallengeId)).Single(e => e.Kind == RecordEntryKind.Acknowledged).Summary);

        await _host.Client.SetLegalHoldAsync(new SetLegalHoldRequest { Parent = Parent, Hold = false }, Partnership);
        Assert.Equal([Parent], (await PurgeAsync()).Purged);

        var entries = await _host.EntriesAsync(_story.ChallengeId);
        Assert.Equal(RecordEntryKind.Purged, entries[^1].Kind);
        Assert.All(entries.SkipLast(1), e =>
        {
            Assert.Equal("", e.Summary);
            Assert.NotNull(e.PurgeTime);
            Assert.NotEqual("", e.ContentHash);
        });
        var verified = await _host.Client.VerifyRecordAsync(new VerifyRecordRequest { Parent = Parent }, Partnership);
        Assert.True(verified.Intact, string.Join(" ", verified.Problems));
        Assert.Empty((await PurgeAsync()).Purged);
    }

    [Fact]
    public async Task Narrative_removed_straight_in_redis_as_if_purged_is_tampering()
    {
        var key = RecordStore.EntriesKey(_story.ChallengeId);
        var db = redis.Redis.GetDatabase();
        var second = RecordEntry.Parser.ParseFrom((byte[])(await db.ListGetByIndexAsync(key, 1))!);
        await db.ListSetByIndexAsync(key, 1, RecordChain.Purged(second, _host.Time.GetUtcNow()).ToByteArray());

        var verified = await _host.Client.VerifyRecordAsync(new VerifyRecordRequest { Parent = Parent }, Partnership);

        Assert.False(verified.Intact);
        Assert.Equal(second.Name, verified.FirstBrokenEntry);
    }

    [Fact]
    public async Task Only_the_partnership_holds_or_purges()
    {
        var hold = await Assert.ThrowsAsync<RpcException>(() => _host.Client.SetLegalHoldAsync(
            new SetLegalHoldRequest { Parent = Parent, Hold = true, Reason = "x" }, _host.Bearer("pc-101", "police")).ResponseAsync);
        Assert.Equal(StatusCode.PermissionDenied, hold.StatusCode);
        var purge = await Assert.ThrowsAsync<RpcException>(() => _host.Client.PurgeExpiredRecordsAsync(
            new PurgeExpiredRecordsRequest(), _host.Bearer("ops-1", "it", DisputeRoles.Support)).ResponseAsync);
        Assert.Equal(StatusCode.PermissionDenied, purge.StatusCode);
        var noReason = await Assert.ThrowsAsync<RpcException>(() => _host.Client.SetLegalHoldAsync(
            new SetLegalHoldRequest { Parent = Parent, Hold = true }, Partnership).ResponseAsync);
        Assert.Equal(StatusCode.InvalidArgument, noReason.StatusCode);
    }
}
