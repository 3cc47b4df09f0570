using System.Text;
using Disputes.Procedure;
using Disputes.Records.Domain;
using Disputes.Records.Storage;
using Disputes.V1;
using Disputes.V1.Events;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Google.Rpc;
using Grpc.Core;

namespace Disputes.IntegrationTests;

/// <summary>Minutes of the stage 3 professionals meeting and the stage 4 resolution meeting: who may record them, drafts, corrections.</summary>
[Collection(RedisCollection.Name)]
public sealed class RecordMinutesTests(RedisServerFixture redis) : IAsyncLifetime
{
    private RecordsHost _host = null!;
    private DisputeStory _story = null!;

    /// <summary>
    /// The minutes events the records service published, in order: the outbox relay is woken by the
    /// write and moves them from the outbox to the topic at once, so they are read from the topic.
    /// </summary>
    private async Task<IReadOnlyList<string>> PublishedMinutesAsync(int expected)
    {
        var db = redis.Redis.GetDatabase();
        await Eventually.HoldsAsync(async () => await db.StreamLengthAsync("minutes-recorded") >= expected, $"{expected} minutes events are published");
        return (await db.StreamRangeAsync("minutes-recorded")).Select(e => e["data"].ToString()).ToList();
    }

    public async Task InitializeAsync()
    {
        await redis.FlushAsync();
        _host = await RecordsHost.StartAsync(redis);
        _story = new DisputeStory(RecordsTestSupport.NewChallengeId(), _host.Time.GetUtcNow());
    }

    public async Task DisposeAsync() => await _host.DisposeAsync();

    private string Parent => $"challenges/{_story.ChallengeId}";

    private Task DeliverUntilAsync(Func<IMessage, bool> last) =>
        DeliverAsync(_story.Events.TakeWhile(e => !last(e.Event)).Concat(_story.Events.Where(e => last(e.Event)).Take(1)));

    private async Task DeliverAsync(IEnumerable<(IMessage Event, Disputes.EventBus.EventContext Context)> events)
    {
        foreach (var (@event, context) in events)
            await _host.DeliverAsync(@event, context);
    }

    private static Meeting Meeting(string minutes = "The agencies agreed to re-open the case.") => new()
    {
        Mode = DiscussionMode.Meeting,
        HeldTime = Timestamp.FromDateTimeOffset(new DateTimeOffset(2026, 3, 10, 10, 0, 0, TimeSpan.Zero)),
        Attendees = { DisputeStory.Referrer, DisputeStory.Receiver },
        Chair = new Party { AgencyId = "police", ProfessionalId = "someone-else", Role = "chair" },
        Minutes = minutes,
        Decisions = { "Re-open the case." },
        Recommendations = { "Review the threshold document." },
        PlanOfAction = new PlanOfAction { Summary = "Assessment", Actions = { new AgreedAction { Description = "Complete an assessment", OwnerAgencyId = "childrens-social-care", DueDate = "2026-04-01" } } },
    };

    [Fact]
    public async Task At_stage_1_minutes_are_refused_as_a_failed_precondition()
    {
        await DeliverUntilAsync(e => e is ChallengeRaised);
        var error = await Assert.ThrowsAsync<RpcException>(() => _host.Client.RecordMinutesAsync(
            new RecordMinutesRequest { Parent = Parent, Meeting = Meeting() }, _host.Bearer("sm-1", "police", DisputeRoles.SeniorManager)).ResponseAsync);
        Assert.Equal(StatusCode.FailedPrecondition, error.StatusCode);
        Assert.NotNull(error.GetRpcStatus()?.GetDetail<PreconditionFailure>());
    }

    [Fact]
    public async Task At_stage_3_a_senior_manager_of_a_party_agency_records_the_professionals_meeting()
    {
        await DeliverUntilAsync(e => e is ChallengeEscalated { ToStage: Stage.SeniorManagers, ManagementTier: 1 });

        var practitioner = await Assert.ThrowsAsync<RpcException>(() => _host.Client.RecordMinutesAsync(
            new RecordMinutesRequest { Parent = Parent, Meeting = Meeting() }, _host.Bearer("pc-101", "police")).ResponseAsync);
        Assert.Equal(StatusCode.PermissionDenied, practitioner.StatusCode);
        var outsider = await Assert.ThrowsAsync<RpcException>(() => _host.Client.RecordMinutesAsync(
            new RecordMinutesRequest { Parent = Parent, Meeting = Meeting() }, _host.Bearer("sm-9", "education", DisputeRoles.SeniorManager)).ResponseAsync);
        Assert.Equal(StatusCode.PermissionDenied, outsider.StatusCode);

        var entry = await _host.Client.RecordMinutesAsync(new RecordMinutesRequest { Parent = Parent, Meeting = Meeting() },
            _host.Bearer("sm-1", "police", DisputeRoles.SeniorManager));

        Assert.Equal(RecordEntryKind.MeetingMinutes, entry.Kind);
        Assert.Equal(Stage.SeniorManagers, entry.Stage);
        Assert.Equal(1, entry.ManagementTier);
        Assert.Equal("sm-1", entry.Actor.ProfessionalId);
        Assert.Equal("The agencies agreed to re-open the case.", entry.Meeting.Minutes);
        Assert.Equal(["Re-open the case."], entry.Meeting.Decisions);
        Assert.Equal("2026-04-01", entry.Meeting.PlanOfAction.Actions[0].DueDate);
        Assert.Equal(entry, (await _host.EntriesAsync(_story.ChallengeId))[^1]);
    }

    [Fact]
    public async Task At_stage_4_the_appointed_chair_records_final_minutes_with_the_chair_from_the_appointment()
    {
        await _host.DeliverAllAsync(_story);

        var notAppointed = await Assert.ThrowsAsync<RpcException>(() => _host.Client.RecordMinutesAsync(
            new RecordMinutesRequest { Parent = Parent, Meeting = Meeting() }, _host.Bearer("chair-2", "police", DisputeRoles.IndependentChair)).ResponseAsync);
        Assert.Equal(StatusCode.PermissionDenied, notAppointed.StatusCode);

        var entry = await _host.Client.RecordMinutesAsync(new RecordMinutesRequest { Parent = Parent, Meeting = Meeting() },
            _host.Bearer("chair-1", "health", DisputeRoles.IndependentChair));

        Assert.Equal(RecordEntryKind.MeetingMinutes, entry.Kind);
        Assert.Equal(_story.EntryCount + 1, entry.Sequence);
        Assert.Equal("chair-1", entry.Meeting.Chair.ProfessionalId);
        Assert.Equal("health", entry.Meeting.Chair.AgencyId);
        Assert.Equal(["Review the threshold document."], entry.Meeting.Recommendations);

        var envelope = Assert.Single(await PublishedMinutesAsync(1));
        Assert.Contains("disputes.v1.MinutesRecorded", envelope);
        Assert.Contains(entry.Name, envelope);
        Assert.DoesNotContain("re-open the case", envelope, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task The_partnership_drafts_stage_4_minutes_outside_the_chain_until_the_chair_approves_them()
    {
        await _host.DeliverAllAsync(_story);

        var draft = await _host.Client.RecordMinutesAsync(new RecordMinutesRequest { Parent = Parent, Meeting = Meeting() },
            _host.Bearer("scp-1", "partnership", DisputeRoles.Partnership));

        Assert.Equal(0, draft.Sequence);
        Assert.StartsWith($"{Parent}/minutesDrafts/", draft.Name);
        Assert.Equal(_story.EntryCount, (await _host.EntriesAsync(_story.ChallengeId)).Count);

        var byPartnership = await Assert.ThrowsAsync<RpcException>(() => _host.Client.ApproveMinutesAsync(
            new ApproveMinutesRequest { Name = draft.Name }, _host.Bearer("scp-1", "partnership", DisputeRoles.Partnership)).ResponseAsync);
        Assert.Equal(StatusCode.PermissionDenied, byPartnership.StatusCode);

        var approved = await _host.Client.ApproveMinutesAsync(new ApproveMinutesRequest { Name = draft.Name, RequestId = "approve-1" },
            _host.Bearer("chair-1", "health", DisputeRoles.IndependentChair));

        Assert.Equal(RecordEntryKind.MeetingMinutes, approved.Kind);
        Assert.Equal(_story.EntryCount + 1, approved.Sequence);
        Assert.Equal("chair-1", approved.Meeting.Chair.ProfessionalId);
        Assert.Contains("approved by the independent chair", approved.Summary);
        var retried = await _host.Client.ApproveMinutesAsync(new ApproveMinutesRequest { Name = draft.Name, RequestId = "approve-1" },
            _host.Bearer("chair-1", "health", DisputeRoles.IndependentChair));
        Assert.Equal(approved, retried);
        var again = await Assert.ThrowsAsync<RpcException>(() => _host.Client.ApproveMinutesAsync(
            new ApproveMinutesRequest { Name = draft.Name }, _host.Bearer("chair-1", "health", DisputeRoles.IndependentChair)).ResponseAsync);
        Assert.Equal(StatusCode.NotFound, again.StatusCode);
        Assert.Null(RecordChain.FirstBroken(await _host.EntriesAsync(_story.ChallengeId)));

        var published = await PublishedMinutesAsync(2);
        Assert.Matches("\"draft\":\\s*true", published[0]);
    }

    [Fact]
    public async Task A_retried_request_returns_the_same_entry_and_a_reused_request_id_is_refused()
    {
        await _host.DeliverAllAsync(_story);
        var chair = _host.Bearer("chair-1", "health", DisputeRoles.IndependentChair);

        var first = await _host.Client.RecordMinutesAsync(new RecordMinutesRequest { Parent = Parent, Meeting = Meeting(), RequestId = "r-1" }, chair);
        var retry = await _host.Client.RecordMinutesAsync(new RecordMinutesRequest { Parent = Parent, Meeting = Meeting(), RequestId = "r-1" }, chair);
        var reused = await Assert.ThrowsAsync<RpcException>(() => _host.Client.RecordMinutesAsync(
            new RecordMinutesRequest { Parent = Parent, Meeting = Meeting("Other minutes."), RequestId = "r-1" }, chair).ResponseAsync);

        Assert.Equal(first, retry);
        Assert.Equal(StatusCode.AlreadyExists, reused.StatusCode);
        Assert.Equal("REQUEST_ID_REUSED", reused.GetRpcStatus()?.GetDetail<ErrorInfo>()?.Reason);
        Assert.Equal(_story.EntryCount + 1, (await _host.EntriesAsync(_story.ChallengeId)).Count);
    }

    [Fact]
    public async Task Incomplete_minutes_name_every_wrong_field()
    {
        await _host.DeliverAllAsync(_story);
        var meeting = new Meeting { Attendees = { new Party() }, Recommendations = { "" }, PlanOfAction = new PlanOfAction { Actions = { new AgreedAction { Description = "x", OwnerAgencyId = "a", DueDate = "next week" } } } };

        var error = await Assert.ThrowsAsync<RpcException>(() => _host.Client.RecordMinutesAsync(
            new RecordMinutesRequest { Parent = Parent, Meeting = meeting }, _host.Bearer("chair-1", "health", DisputeRoles.IndependentChair)).ResponseAsync);

        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        var fields = error.GetRpcStatus()!.GetDetail<BadRequest>().FieldViolations.Select(v => v.Field).ToList();
        Assert.Contains("meeting.minutes", fields);
        Assert.Contains("meeting.held_time", fields);
        Assert.Contains("meeting.attendees[0].agency_id", fields);
        Assert.Contains("meeting.recommendations[0]", fields);
        Assert.Contains("meeting.plan_of_action.actions[0].due_date", fields);
    }

    [Fact]
    public async Task Unknown_fields_in_a_meeting_are_never_stored()
    {
        await _host.DeliverAllAsync(_story);
        var marker = new string('Z', 2048);
        var output = new MemoryStream();
        var stream = new CodedOutputStream(output);
        Meeting().WriteTo(stream);
        stream.WriteTag(999, WireFormat.WireType.LengthDelimited);
        stream.WriteString(marker);
        stream.Flush();
        var withUnknown = Disputes.V1.Meeting.Parser.ParseFrom(output.ToArray());
        Assert.Contains(marker, Encoding.UTF8.GetString(withUnknown.ToByteArray()));

        var entry = await _host.Client.RecordMinutesAsync(new RecordMinutesRequest { Parent = Parent, Meeting = withUnknown },
            _host.Bearer("chair-1", "health", DisputeRoles.IndependentChair));

        var stored = await redis.Redis.GetDatabase().ListGetByIndexAsync(RecordStore.EntriesKey(_story.ChallengeId), -1);
        Assert.DoesNotContain(marker, Encoding.UTF8.GetString((byte[])stored!));
        Assert.DoesNotContain(marker, Encoding.UTF8.GetString(entry.ToByteArray()));
    }

    [Fact]
    public async Task A_correction_is_a_new_entry_naming_the_one_it_corrects()
    {
        await _host.DeliverAllAsync(_story);
        var entries = await _host.EntriesAsync(_story.ChallengeId);
        var acknowledged = entries.Single(e => e.Kind == RecordEntryKind.Acknowledged);
        var request = new CorrectRecordEntryRequest { Name = acknowledged.Name, Summary = "Acknowledged by telephone, not email.", Reason = "Wrong channel minuted." };

        var otherAgency = await Assert.ThrowsAsync<RpcException>(() => _host.Client.CorrectRecordEntryAsync(request, _host.Bearer("pc-101", "police")).ResponseAsync);
        Assert.Equal(StatusCode.PermissionDenied, otherAgency.StatusCode);
        var support = await Assert.ThrowsAsync<RpcException>(() => _host.Client.CorrectRecordEntryAsync(request, _host.Bearer("ops-1", "it", DisputeRoles.Support)).ResponseAsync);
        Assert.Equal(StatusCode.PermissionDenied, support.StatusCode);

        var correction = await _host.Client.CorrectRecordEntryAsync(request, _host.Bearer("sw-7", "childrens-social-care"));

        Assert.Equal(RecordEntryKind.Correction, correction.Kind);
        Assert.Equal(acknowledged.Name, correction.CorrectsEntry);
        Assert.Contains("Acknowledged by telephone", correction.Summary);
        var after = await _host.EntriesAsync(_story.ChallengeId);
        Assert.Equal(acknowledged, after.Single(e => e.Name == acknowledged.Name));
        Assert.Null(RecordChain.FirstBroken(after));

        var missing = await Assert.ThrowsAsync<RpcException>(() => _host.Client.CorrectRecordEntryAsync(
            new CorrectRecordEntryRequest { Name = $"{Parent}/entries/{RecordsTestSupport.NewChallengeId()}", Summary = "x", Reason = "y" },
            _host.Bearer("scp-1", "partnership", DisputeRoles.Partnership)).ResponseAsync);
        Assert.Equal(StatusCode.NotFound, missing.StatusCode);
    }

    [Fact]
    public async Task After_resolution_minutes_are_refused()
    {
        await _host.DeliverAllAsync(_story);
        var resolved = _story.Resolved();
        await _host.DeliverAsync(resolved, DisputeStory.ContextFor(resolved));

        var error = await Assert.ThrowsAsync<RpcException>(() => _host.Client.RecordMinutesAsync(
            new RecordMinutesRequest { Parent = Parent, Meeting = Meeting() }, _host.Bearer("chair-1", "health", DisputeRoles.IndependentChair)).ResponseAsync);
        Assert.Equal(StatusCode.FailedPrecondition, error.StatusCode);
    }
}
