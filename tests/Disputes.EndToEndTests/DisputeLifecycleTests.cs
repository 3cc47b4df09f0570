using System.Diagnostics;
using Disputes.V1;
using Google.Rpc;
using Grpc.Core;

namespace Disputes.EndToEndTests;

/// <summary>A challenge raised through the gateway, followed into every service.</summary>
[Collection(SuiteCollection.Name)]
public sealed class DisputeLifecycleTests(SuiteFixture suite)
{
    private readonly ChallengeService.ChallengeServiceClient _challenges = new(suite.Gateway);
    private readonly EscalationService.EscalationServiceClient _escalations = new(suite.Gateway);
    private readonly NotificationService.NotificationServiceClient _notifications = new(suite.Gateway);
    private readonly RecordsService.RecordsServiceClient _records = new(suite.Gateway);

    private Metadata Referrer => suite.Bearer("pc-101", "police");

    public static RaiseChallengeRequest NewRaise() => new()
    {
        RequestId = Guid.NewGuid().ToString(),
        Challenge = new Disputes.V1.Challenge
        {
            RaisingParty = new Party { Role = "police officer" },
            ReceivingParty = new Party { AgencyId = "childrens-social-care", ProfessionalId = "sw-7", Role = "social worker" },
            Child = new ChildReference { Reference = "child-ref-42", LookedAfter = true, LocalAuthorityId = "childrens-social-care" },
            Category = Category.CaseClosure,
            Subject = "The case was closed after a single home visit.",
            UnsafePracticeReason = "Neglect was reported again by the school last week.",
            DesiredChange = "Re-open the case and complete a child and family assessment.",
            ImpactOnChild = "The child remains in the home without any support plan.",
        },
    };

    [Fact]
    public async Task A_raised_challenge_is_scheduled_notified_and_minuted_in_the_callers_trace()
    {
        var traceId = ActivityTraceId.CreateRandom().ToHexString();
        var headers = Referrer;
        headers.Add("traceparent", $"00-{traceId}-{ActivitySpanId.CreateRandom().ToHexString()}-01");

        var raised = await _challenges.RaiseChallengeAsync(NewRaise(), headers);

        Assert.StartsWith("challenges/", raised.Name);
        Assert.Equal(Stage.ProfessionalDiscussion, raised.Stage);
        Assert.Equal(ChallengeState.AwaitingAcknowledgement, raised.State);
        Assert.Equal("police", raised.RaisingParty.AgencyId);
        Assert.Equal("pc-101", raised.RaisingParty.ProfessionalId);
        Assert.Equal(traceId, raised.TraceId);

        var read = await _challenges.GetChallengeAsync(new GetChallengeRequest { Name = raised.Name }, Referrer);
        Assert.Equal(raised, read);

        var escalation = await Until(() => _escalations.GetEscalationAsync(new GetEscalationRequest { Name = raised.Name + "/escalation" }, Referrer).ResponseAsync);
        Assert.Equal(Stage.ProfessionalDiscussion, escalation.Stage);
        // The newest version of the default policy (another test may have added one, with the same timescales).
        Assert.StartsWith("timescalePolicies/default@", escalation.Policy);
        Assert.True(escalation.AcknowledgementDueTime.ToDateTimeOffset() > raised.CreateTime.ToDateTimeOffset());
        Assert.True(escalation.StageDueTime.ToDateTimeOffset() > escalation.AcknowledgementDueTime.ToDateTimeOffset());
        Assert.True(escalation.StageDueTime.ToDateTimeOffset() < raised.CreateTime.ToDateTimeOffset().AddDays(12));
        Assert.True(escalation.IroNotificationRequired);

        var deliveries = await Until(async () =>
        {
            var list = await _notifications.ListDeliveriesAsync(new ListDeliveriesRequest { Parent = raised.Name }, Referrer);
            return list.Deliveries.Count >= 2 ? list : throw new RpcException(new Grpc.Core.Status(StatusCode.NotFound, "not yet"));
        });
        var toReferrer = Assert.Single(deliveries.Deliveries, d => d.RecipientRole == RecipientRole.Referrer);
        Assert.Equal("pc-101", toReferrer.Recipient.ProfessionalId);
        Assert.Equal("challenge-received", toReferrer.Notice);
        Assert.Equal(DeliveryStatus.Delivered, toReferrer.Status);
        Assert.Equal(traceId, toReferrer.TraceId);
        Assert.Contains(deliveries.Deliveries, d => d.RecipientRole == RecipientRole.ReceivingProfessional && d.Recipient.ProfessionalId == "sw-7");

        var timeline = await Until(async () =>
        {
            var list = await _records.ListRecordEntriesAsync(new ListRecordEntriesRequest { Parent = raised.Name }, Referrer);
            return list.Entries.Count > 0 ? list : throw new RpcException(new Grpc.Core.Status(StatusCode.NotFound, "not yet"));
        });
        // The record opens with the raise; routing and the referrer's notices follow it.
        var entry = timeline.Entries[0];
        Assert.Equal(1, entry.Sequence);
        Assert.Equal(RecordEntryKind.ChallengeRaised, entry.Kind);
        Assert.Equal(traceId, entry.TraceId);
        Assert.Equal(1, entry.Sequence);
        Assert.Contains("Re-open the case", entry.Summary);
        Assert.True((await _records.VerifyRecordAsync(new VerifyRecordRequest { Parent = raised.Name }, Referrer)).Intact);
    }

    [Fact]
    public async Task A_challenge_raised_while_the_records_service_is_down_is_minuted_when_it_is_back()
    {
        var traceId = ActivityTraceId.CreateRandom().ToHexString();
        var headers = Referrer;
        headers.Add("traceparent", $"00-{traceId}-{ActivitySpanId.CreateRandom().ToHexString()}-01");
        Disputes.V1.Challenge? raised = null;

        await suite.CrashAndRestartAsync("records", async () =>
        {
            raised = await _challenges.RaiseChallengeAsync(NewRaise(), headers);
            // The rest of the suite carries on without it.
            await Until(() => _escalations.GetEscalationAsync(new GetEscalationRequest { Name = raised.Name + "/escalation" }, Referrer).ResponseAsync);
        });

        var timeline = await Until(async () =>
        {
            var list = await _records.ListRecordEntriesAsync(new ListRecordEntriesRequest { Parent = raised!.Name }, Referrer);
            return list.Entries.Count > 0 ? list : throw new RpcException(new Grpc.Core.Status(StatusCode.NotFound, "not yet"));
        });
        // The record opens with the raise; routing and the referrer's notices follow it.
        var entry = timeline.Entries[0];
        Assert.Equal(1, entry.Sequence);
        Assert.Equal(RecordEntryKind.ChallengeRaised, entry.Kind);
        Assert.Equal(traceId, entry.TraceId);
    }

    [Fact]
    public async Task Raising_twice_with_one_request_id_raises_one_challenge()
    {
        var request = NewRaise();

        var first = await _challenges.RaiseChallengeAsync(request, Referrer);
        var retry = await _challenges.RaiseChallengeAsync(request, Referrer);

        Assert.Equal(first.Name, retry.Name);
        Assert.Equal(first.CreateTime, retry.CreateTime);
    }

    [Fact]
    public async Task An_incomplete_challenge_is_refused_with_every_field_that_is_wrong()
    {
        var request = NewRaise();
        request.Challenge.Subject = "";
        request.Challenge.Child = null;

        var error = await Assert.ThrowsAsync<RpcException>(() => _challenges.RaiseChallengeAsync(request, Referrer).ResponseAsync);

        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        var fields = error.GetRpcStatus()!.GetDetail<BadRequest>().FieldViolations.Select(v => v.Field).ToArray();
        Assert.Equal(["challenge.child.reference", "challenge.subject"], fields);
    }

    [Fact]
    public async Task A_professional_of_an_agency_that_is_not_a_party_cannot_read_the_challenge_or_its_record()
    {
        var raised = await _challenges.RaiseChallengeAsync(NewRaise(), Referrer);
        var outsider = suite.Bearer("teacher-3", "education");

        var error = await Assert.ThrowsAsync<RpcException>(() => _challenges.GetChallengeAsync(new GetChallengeRequest { Name = raised.Name }, outsider).ResponseAsync);
        Assert.Equal(StatusCode.PermissionDenied, error.StatusCode);

        await Until(() => _records.ListRecordEntriesAsync(new ListRecordEntriesRequest { Parent = raised.Name }, Referrer).ResponseAsync);
        var recordError = await Assert.ThrowsAsync<RpcException>(() => _records.ListRecordEntriesAsync(new ListRecordEntriesRequest { Parent = raised.Name }, outsider).ResponseAsync);
        Assert.Equal(StatusCode.PermissionDenied, recordError.StatusCode);

        var receiver = await _challenges.GetChallengeAsync(new GetChallengeRequest { Name = raised.Name }, suite.Bearer("sw-7", "childrens-social-care"));
        Assert.Equal(raised.Name, receiver.Name);
    }

    [Fact]
    public async Task Support_engineers_see_the_stages_and_trace_but_not_the_narrative()
    {
        var raised = await _challenges.RaiseChallengeAsync(NewRaise(), Referrer);

        var seen = await _challenges.GetChallengeAsync(new GetChallengeRequest { Name = raised.Name }, suite.Bearer("eng-1", "suite-support", "support"));

        Assert.Equal(raised.Stage, seen.Stage);
        Assert.Equal(raised.TraceId, seen.TraceId);
        Assert.Equal("", seen.Subject);
        Assert.Equal("", seen.Child.Reference);
    }

    [Fact]
    public async Task Unknown_and_malformed_names_get_NOT_FOUND_and_INVALID_ARGUMENT()
    {
        var missing = await Assert.ThrowsAsync<RpcException>(() =>
            _challenges.GetChallengeAsync(new GetChallengeRequest { Name = "challenges/01JD0000000000000000000000" }, Referrer).ResponseAsync);
        Assert.Equal(StatusCode.NotFound, missing.StatusCode);

        var malformed = await Assert.ThrowsAsync<RpcException>(() =>
            _challenges.GetChallengeAsync(new GetChallengeRequest { Name = "cases/42" }, Referrer).ResponseAsync);
        Assert.Equal(StatusCode.InvalidArgument, malformed.StatusCode);
        Assert.Equal("name", Assert.Single(malformed.GetRpcStatus()!.GetDetail<BadRequest>().FieldViolations).Field);
    }

    [Fact]
    public async Task The_referrer_lists_the_challenges_of_its_agency_newest_first()
    {
        var police = suite.Bearer("pc-202", "police-list-test");
        var first = await _challenges.RaiseChallengeAsync(NewRaise(), police);
        var second = await _challenges.RaiseChallengeAsync(NewRaise(), police);

        var page = await _challenges.ListChallengesAsync(new ListChallengesRequest { PageSize = 1 }, police);
        Assert.Equal(second.Name, Assert.Single(page.Challenges).Name);
        var next = await _challenges.ListChallengesAsync(new ListChallengesRequest { PageSize = 1, PageToken = page.NextPageToken }, police);
        Assert.Equal(first.Name, Assert.Single(next.Challenges).Name);
    }

    /// <summary>Events are delivered asynchronously: retry a read until what it waits for has arrived.</summary>
    private static async Task<T> Until<T>(Func<Task<T>> read)
    {
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (true)
        {
            try
            {
                return await read();
            }
            catch (RpcException e) when (e.StatusCode == StatusCode.NotFound && DateTime.UtcNow < deadline)
            {
                await Task.Delay(50);
            }
        }
    }
}
