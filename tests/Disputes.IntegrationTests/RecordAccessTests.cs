using Disputes.Procedure;
using Disputes.V1;
using Grpc.Core;

namespace Disputes.IntegrationTests;

/// <summary>Support sees ids, kinds, stages, times and trace ids only; every read is audited, and the partnership lists the audit.</summary>
[Collection(RedisCollection.Name)]
public sealed class RecordAccessTests(RedisServerFixture redis) : IAsyncLifetime
{
    private RecordsHost _host = null!;
    private DisputeStory _story = null!;

    public async Task InitializeAsync()
    {
        await redis.FlushAsync();
        _host = await RecordsHost.StartAsync(redis);
        _story = new DisputeStory(RecordsTestSupport.NewChallengeId(), _host.Time.GetUtcNow());
        await _host.DeliverAllAsync(_story);
        await _host.Client.RecordMinutesAsync(new RecordMinutesRequest
        {
            Parent = Parent,
            Meeting = new Meeting
            {
                HeldTime = Google.Protobuf.WellKnownTypes.Timestamp.FromDateTimeOffset(_host.Time.GetUtcNow()),
                Attendees = { DisputeStory.Referrer },
                Minutes = "Narrative that support must never see.",
                Recommendations = { "A recommendation." },
            },
        }, _host.Bearer("chair-1", "health", DisputeRoles.IndependentChair));
    }

    public async Task DisposeAsync() => await _host.DisposeAsync();

    private string Parent => $"challenges/{_story.ChallengeId}";

    [Fact]
    public async Task Support_sees_ids_kinds_stages_times_and_trace_ids_but_no_narrative()
    {
        var support = _host.Bearer("ops-1", "it-support", DisputeRoles.Support);

        var list = await _host.Client.ListRecordEntriesAsync(new ListRecordEntriesRequest { Parent = Parent, PageSize = 100 }, support);
        var one = await _host.Client.GetRecordEntryAsync(new GetRecordEntryRequest { Name = list.Entries[^1].Name }, support);

        Assert.Equal(_story.EntryCount + 1, list.Entries.Count);
        foreach (var entry in list.Entries.Append(one))
        {
            Assert.Equal("", entry.Summary);
            Assert.Null(entry.Meeting);
            Assert.Equal("", entry.Actor?.Role ?? "");
            Assert.NotEqual(RecordEntryKind.Unspecified, entry.Kind);
            Assert.NotEqual("", entry.TraceId);
            Assert.NotNull(entry.RecordTime);
        }
        Assert.Equal(RecordEntryKind.MeetingMinutes, one.Kind);
        Assert.Equal(Stage.SafeguardingPartnership, one.Stage);
    }

    [Fact]
    public async Task A_caller_of_no_party_agency_reads_nothing()
    {
        var error = await Assert.ThrowsAsync<RpcException>(() => _host.Client.ListRecordEntriesAsync(
            new ListRecordEntriesRequest { Parent = Parent }, _host.Bearer("t-1", "education")).ResponseAsync);
        Assert.Equal(StatusCode.PermissionDenied, error.StatusCode);
    }

    [Fact]
    public async Task The_appointed_chair_and_the_childs_local_authority_iro_read_the_record()
    {
        Assert.NotEmpty((await _host.Client.ListRecordEntriesAsync(new ListRecordEntriesRequest { Parent = Parent },
            _host.Bearer("chair-1", "health", DisputeRoles.IndependentChair))).Entries);
        Assert.NotEmpty((await _host.Client.ListRecordEntriesAsync(new ListRecordEntriesRequest { Parent = Parent },
            _host.Bearer("iro-3", "childrens-social-care", DisputeRoles.IndependentReviewingOfficer))).Entries);
        var otherChair = await Assert.ThrowsAsync<RpcException>(() => _host.Client.ListRecordEntriesAsync(
            new ListRecordEntriesRequest { Parent = Parent }, _host.Bearer("chair-2", "health", DisputeRoles.IndependentChair)).ResponseAsync);
        Assert.Equal(StatusCode.PermissionDenied, otherChair.StatusCode);
    }

    [Fact]
    public async Task Every_read_path_is_audited_and_listed_for_the_partnership_only()
    {
        var referrer = _host.Bearer("pc-101", "police");
        var list = await _host.Client.ListRecordEntriesAsync(new ListRecordEntriesRequest { Parent = Parent }, referrer);
        await _host.Client.GetRecordEntryAsync(new GetRecordEntryRequest { Name = list.Entries[0].Name }, referrer);
        await _host.Client.VerifyRecordAsync(new VerifyRecordRequest { Parent = Parent }, _host.Bearer("ops-1", "it-support", DisputeRoles.Support));

        var denied = await Assert.ThrowsAsync<RpcException>(() => _host.Client.ListAccessAuditAsync(new ListAccessAuditRequest(), referrer).ResponseAsync);
        Assert.Equal(StatusCode.PermissionDenied, denied.StatusCode);

        var partnership = _host.Bearer("scp-1", "partnership", DisputeRoles.Partnership);
        var page = await _host.Client.ListAccessAuditAsync(new ListAccessAuditRequest { Challenge = Parent, PageSize = 2 }, partnership);
        Assert.Equal(["VerifyRecord", "GetRecordEntry"], page.Entries.Select(e => e.Method));
        Assert.Equal("support", page.Entries[0].View);
        Assert.Equal("ops-1", page.Entries[0].Reader.ProfessionalId);
        Assert.Equal(list.Entries[0].Name, page.Entries[1].Resource);
        Assert.Equal("full", page.Entries[1].View);
        var next = await _host.Client.ListAccessAuditAsync(new ListAccessAuditRequest { Challenge = Parent, PageSize = 2, PageToken = page.NextPageToken }, partnership);
        Assert.Equal(["ListRecordEntries"], next.Entries.Select(e => e.Method));
        Assert.Equal("", next.NextPageToken);

        // The audit is a log of its own: reading it added nothing to the dispute's record.
        Assert.Equal(_story.EntryCount + 1, (await _host.EntriesAsync(_story.ChallengeId)).Count);
    }

    [Fact]
    public async Task A_refused_read_is_not_answered_and_leaves_no_audit_as_a_reader()
    {
        await Assert.ThrowsAsync<RpcException>(() => _host.Client.ListRecordEntriesAsync(
            new ListRecordEntriesRequest { Parent = Parent }, _host.Bearer("t-1", "education")).ResponseAsync);
        var audit = await _host.Client.ListAccessAuditAsync(new ListAccessAuditRequest { Challenge = Parent },
            _host.Bearer("scp-1", "partnership", DisputeRoles.Partnership));
        Assert.DoesNotContain(audit.Entries, e => e.Reader.ProfessionalId == "t-1");
    }
}
