using System.Diagnostics;
using Disputes.V1;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;

namespace Disputes.EndToEndTests;

/// <summary>
/// The whole procedure through the gateway, as agency systems drive it: a challenge about a
/// Looked After child from the professionals' discussion to the partnership's resolution
/// meeting. After every step the referrer has been told, the record has an entry in the
/// caller's trace, and the escalation shows the stage.
/// </summary>
[Collection(SuiteCollection.Name)]
public sealed class ProcedurePathTests(SuiteFixture suite)
{
    private readonly ChallengeService.ChallengeServiceClient _challenges = new(suite.Gateway);
    private readonly EscalationService.EscalationServiceClient _escalations = new(suite.Gateway);
    private readonly NotificationService.NotificationServiceClient _notifications = new(suite.Gateway);
    private readonly RecordsService.RecordsServiceClient _records = new(suite.Gateway);

    [Fact]
    public async Task A_challenge_about_a_looked_after_child_goes_through_every_stage_to_a_chaired_resolution()
    {
        var p = await Partnership.SetUpAsync(suite, _escalations);

        // Stage 1: raised by a police officer about children's social care closing the case.
        var (challenge, trace) = await Step(p.Referrer, (h, t) => _challenges.RaiseChallengeAsync(p.NewRaise(), h).ResponseAsync);
        await ExpectAsync(challenge, RecordEntryKind.ChallengeRaised, trace, Stage.ProfessionalDiscussion, 0, referrerNotices: 1);
        var routed = await EscalationAtAsync(challenge, Stage.ProfessionalDiscussion, 0, p.Referrer);
        Assert.Contains(routed.ResponsibleParties, r => r.Responsibility == Responsibility.ReceivingProfessional && r.Party.ProfessionalId == p.SocialWorker.Id);

        (challenge, trace) = await Step(p.SocialWorker, (h, t) => _challenges.AcknowledgeChallengeAsync(
            new AcknowledgeChallengeRequest { Name = challenge.Name, Etag = challenge.Etag, Note = "Received; will call today.", RequestId = t }, h).ResponseAsync);
        Assert.Equal(ChallengeState.InDiscussion, challenge.State);
        await ExpectAsync(challenge, RecordEntryKind.Acknowledged, trace, Stage.ProfessionalDiscussion, 0, referrerNotices: 2);

        (challenge, trace) = await Step(p.Referrer, (h, t) => _challenges.RecordDiscussionAsync(new RecordDiscussionRequest
        {
            Name = challenge.Name, Etag = challenge.Etag, RequestId = t,
            Discussion = Discussion(p, "Discussed by telephone; no agreement on re-opening the case.", p.Referrer, p.SocialWorker),
        }, h).ResponseAsync);
        await ExpectAsync(challenge, RecordEntryKind.Discussion, trace, Stage.ProfessionalDiscussion, 0, referrerNotices: 3);

        // Stage 2: both line managers, and the IRO of a Looked After child.
        (challenge, trace) = await Step(p.Referrer, (h, t) => _challenges.EscalateChallengeAsync(new EscalateChallengeRequest
        {
            Name = challenge.Name, Etag = challenge.Etag, RequestId = t, Reason = "No mutually agreed resolution at stage 1.",
        }, h).ResponseAsync);
        Assert.Equal((Stage.LineManagers, ChallengeState.AwaitingReview), (challenge.Stage, challenge.State));
        await ExpectAsync(challenge, RecordEntryKind.Escalated, trace, Stage.LineManagers, 0, referrerNotices: 4);
        var stage2 = await EscalationAtAsync(challenge, Stage.LineManagers, 0, p.Referrer);
        Assert.Contains(stage2.ResponsibleParties, r => r.Responsibility == Responsibility.RaisingLineManager && r.Party.ProfessionalId == p.RaisingLineManager.Id);
        Assert.Contains(stage2.ResponsibleParties, r => r.Responsibility == Responsibility.ReceivingLineManager && r.Party.ProfessionalId == p.ReceivingLineManager.Id);
        Assert.Contains(stage2.ResponsibleParties, r => r.Responsibility == Responsibility.IndependentReviewingOfficer && r.Party.ProfessionalId == p.Iro.Id);
        await DeliveredToAsync(challenge, p.RaisingLineManager, p.Referrer);
        await DeliveredToAsync(challenge, p.ReceivingLineManager, p.Referrer);
        await DeliveredToAsync(challenge, p.Iro, p.Referrer);

        (challenge, trace) = await Step(p.RaisingLineManager, (h, t) => _challenges.ReviewChallengeAsync(new ReviewChallengeRequest
        {
            Name = challenge.Name, Etag = challenge.Etag, RequestId = t, Justified = true, Reasons = "The school's report is new evidence of neglect.",
        }, h).ResponseAsync);
        Assert.Equal(ChallengeState.InDiscussion, challenge.State);
        await ExpectAsync(challenge, RecordEntryKind.Review, trace, Stage.LineManagers, 0, referrerNotices: 5);

        (challenge, trace) = await Step(p.RaisingLineManager, (h, t) => _challenges.RecordDiscussionAsync(new RecordDiscussionRequest
        {
            Name = challenge.Name, Etag = challenge.Etag, RequestId = t,
            Discussion = Discussion(p, "Managers met; children's social care maintains the closure.", p.RaisingLineManager, p.ReceivingLineManager),
        }, h).ResponseAsync);
        await ExpectAsync(challenge, RecordEntryKind.Discussion, trace, Stage.LineManagers, 0, referrerNotices: 6);

        // Stage 3: senior managers, tier by tier, then they advise the partnership.
        (challenge, trace) = await Step(p.RaisingLineManager, (h, t) => _challenges.EscalateChallengeAsync(new EscalateChallengeRequest
        {
            Name = challenge.Name, Etag = challenge.Etag, RequestId = t, Reason = "The managers could not agree.",
        }, h).ResponseAsync);
        Assert.Equal((Stage.SeniorManagers, 1), (challenge.Stage, challenge.ManagementTier));
        await ExpectAsync(challenge, RecordEntryKind.Escalated, trace, Stage.SeniorManagers, 1, referrerNotices: 7);
        var tier1 = await EscalationAtAsync(challenge, Stage.SeniorManagers, 1, p.Referrer);
        Assert.Contains(tier1.ResponsibleParties, r => r.Responsibility == Responsibility.RaisingSeniorManager && r.Party.ProfessionalId == p.RaisingSeniorManager.Id);
        Assert.Contains(tier1.ResponsibleParties, r => r.Responsibility == Responsibility.ReceivingSeniorManager && r.Party.ProfessionalId == p.ReceivingSeniorManager.Id);

        (challenge, trace) = await Step(p.RaisingSeniorManager, (h, t) => _challenges.EscalateChallengeAsync(new EscalateChallengeRequest
        {
            Name = challenge.Name, Etag = challenge.Etag, RequestId = t, Reason = "Tier 1 could not agree.",
        }, h).ResponseAsync);
        Assert.Equal((Stage.SeniorManagers, 2), (challenge.Stage, challenge.ManagementTier));
        await ExpectAsync(challenge, RecordEntryKind.Escalated, trace, Stage.SeniorManagers, 2, referrerNotices: 8);
        var tier2 = await EscalationAtAsync(challenge, Stage.SeniorManagers, 2, p.Referrer);
        Assert.Contains(tier2.ResponsibleParties, r => r.Responsibility == Responsibility.RaisingSeniorManager && r.Party.ProfessionalId == p.RaisingHeadOfService.Id);

        (challenge, trace) = await Step(p.RaisingHeadOfService, (h, t) => _challenges.EscalateChallengeAsync(new EscalateChallengeRequest
        {
            Name = challenge.Name, Etag = challenge.Etag, RequestId = t, Reason = "Senior managers advise the partnership.",
            TargetStage = Stage.SafeguardingPartnership,
        }, h).ResponseAsync);
        Assert.Equal(Stage.SafeguardingPartnership, challenge.Stage);
        await ExpectAsync(challenge, RecordEntryKind.Escalated, trace, Stage.SafeguardingPartnership, 0, referrerNotices: 9);

        // Stage 4: an independent chair from an agency not involved chairs a minuted resolution meeting.
        var escalation = await EscalationAtAsync(challenge, Stage.SafeguardingPartnership, 0, p.PartnershipManager);
        var appointed = await _escalations.AppointIndependentChairAsync(
            new AppointIndependentChairRequest { Name = escalation.Name, Etag = escalation.Etag }, p.PartnershipManager.Headers(suite));
        Assert.Equal(p.Chair.Id, appointed.IndependentChair.ProfessionalId);
        Assert.Equal(p.Chair.Agency, appointed.IndependentChair.AgencyId);
        await Until(async () => (await _challenges.GetChallengeAsync(new GetChallengeRequest { Name = challenge.Name }, p.Referrer.Headers(suite))).IndependentChair?.ProfessionalId == p.Chair.Id);
        await Until(async () => (await RecordOf(challenge)).Entries.Any(e => e.Kind == RecordEntryKind.ChairAppointed));
        await DeliveredToAsync(challenge, p.Chair, p.Referrer);

        var minutesTrace = ActivityTraceId.CreateRandom().ToHexString();
        var minutes = await _records.RecordMinutesAsync(new RecordMinutesRequest
        {
            Parent = challenge.Name,
            RequestId = Guid.NewGuid().ToString(),
            Meeting = new Meeting
            {
                Mode = DiscussionMode.Meeting,
                HeldTime = Timestamp.FromDateTimeOffset(DateTimeOffset.UtcNow.AddHours(-1)),
                Attendees = { p.RaisingHeadOfService.Party, p.ReceivingHeadOfService.Party, p.PartnershipManager.Party, p.Chair.Party },
                Minutes = "The agencies discussed the closure; children's social care agreed to re-open the case.",
                Recommendations = { "Review the threshold guidance on closing after a single visit." },
            },
        }, p.Chair.Headers(suite, minutesTrace));
        Assert.Equal(RecordEntryKind.MeetingMinutes, minutes.Kind);
        Assert.Equal(minutesTrace, minutes.TraceId);
        await Until(async () => (await ReferrerDeliveriesAsync(challenge, p)).Count >= 10);

        (challenge, trace) = await Step(p.PartnershipManager, (h, t) => _challenges.ResolveChallengeAsync(new ResolveChallengeRequest
        {
            Name = challenge.Name, Etag = challenge.Etag, RequestId = t,
            Resolution = new Resolution
            {
                Kind = ResolutionKind.PartnershipRecommendations,
                Summary = "The case is re-opened for assessment; the partnership reviews its threshold guidance.",
                PlanOfAction = new PlanOfAction { Summary = "Re-open and assess.", Actions = { new AgreedAction { Description = "Complete a child and family assessment", OwnerAgencyId = p.ReceivingAgency } } },
            },
        }, h).ResponseAsync);
        Assert.Equal(ChallengeState.Resolved, challenge.State);
        Assert.Equal(ResolutionKind.PartnershipRecommendations, challenge.Resolution.Kind);
        await ExpectAsync(challenge, RecordEntryKind.Resolved, trace, Stage.SafeguardingPartnership, 0, referrerNotices: 11);

        var verified = await _records.VerifyRecordAsync(new VerifyRecordRequest { Parent = challenge.Name }, p.Referrer.Headers(suite));
        Assert.True(verified.Intact, verified.ToString());
    }

    [Fact]
    public async Task A_not_justified_review_closes_the_challenge_and_tells_the_referrer_why()
    {
        var p = await Partnership.SetUpAsync(suite, _escalations);
        var (challenge, _) = await Step(p.Referrer, (h, t) => _challenges.RaiseChallengeAsync(p.NewRaise(), h).ResponseAsync);
        (challenge, _) = await Step(p.Referrer, (h, t) => _challenges.EscalateChallengeAsync(new EscalateChallengeRequest
        {
            Name = challenge.Name, Etag = challenge.Etag, RequestId = t, Reason = "No reply to the challenge.",
        }, h).ResponseAsync);

        (challenge, var trace) = await Step(p.RaisingLineManager, (h, t) => _challenges.ReviewChallengeAsync(new ReviewChallengeRequest
        {
            Name = challenge.Name, Etag = challenge.Etag, RequestId = t, Justified = false,
            Reasons = "The closure followed the threshold document; the school's report was already assessed.",
        }, h).ResponseAsync);

        Assert.Equal(ChallengeState.ClosedNotJustified, challenge.State);
        await ExpectAsync(challenge, RecordEntryKind.Review, trace, Stage.LineManagers, 0, referrerNotices: 3);
        var toReferrer = await ReferrerDeliveriesAsync(challenge, p);
        Assert.Contains(toReferrer, d => d.Notice == "review-not-justified");

        var refused = await Assert.ThrowsAsync<RpcException>(() => _challenges.EscalateChallengeAsync(new EscalateChallengeRequest
        {
            Name = challenge.Name, Etag = challenge.Etag, Reason = "Try again.",
        }, p.Referrer.Headers(suite)).ResponseAsync);
        Assert.Equal(StatusCode.FailedPrecondition, refused.StatusCode);
    }

    [Fact]
    public async Task The_same_path_over_rest_json_through_the_gateway()
    {
        var p = await Partnership.SetUpAsync(suite, _escalations);

        var raise = p.NewRaise();
        var (challenge, trace) = await RestStep<Disputes.V1.Challenge>(p.Referrer, HttpMethod.Post, $"/v1/challenges?requestId={raise.RequestId}", raise.Challenge);
        await ExpectAsync(challenge, RecordEntryKind.ChallengeRaised, trace, Stage.ProfessionalDiscussion, 0, referrerNotices: 1);

        (challenge, trace) = await RestStep<Disputes.V1.Challenge>(p.SocialWorker, HttpMethod.Post, $"/v1/{challenge.Name}:acknowledge",
            new AcknowledgeChallengeRequest { Etag = challenge.Etag, RequestId = Guid.NewGuid().ToString() });
        await ExpectAsync(challenge, RecordEntryKind.Acknowledged, trace, Stage.ProfessionalDiscussion, 0, referrerNotices: 2);

        (challenge, trace) = await RestStep<Disputes.V1.Challenge>(p.Referrer, HttpMethod.Post, $"/v1/{challenge.Name}:recordDiscussion",
            new RecordDiscussionRequest { Etag = challenge.Etag, Discussion = Discussion(p, "Discussed face to face; no agreement.", p.Referrer, p.SocialWorker) });
        await ExpectAsync(challenge, RecordEntryKind.Discussion, trace, Stage.ProfessionalDiscussion, 0, referrerNotices: 3);

        (challenge, trace) = await RestStep<Disputes.V1.Challenge>(p.Referrer, HttpMethod.Post, $"/v1/{challenge.Name}:escalate",
            new EscalateChallengeRequest { Etag = challenge.Etag, Reason = "No agreement at stage 1." });
        await ExpectAsync(challenge, RecordEntryKind.Escalated, trace, Stage.LineManagers, 0, referrerNotices: 4);
        var stage2 = await RestStep<Escalation>(p.Referrer, HttpMethod.Get, $"/v1/{challenge.Name}/escalation", null);
        Assert.Contains(stage2.Result.ResponsibleParties, r => r.Responsibility == Responsibility.IndependentReviewingOfficer && r.Party.ProfessionalId == p.Iro.Id);

        (challenge, trace) = await RestStep<Disputes.V1.Challenge>(p.RaisingLineManager, HttpMethod.Post, $"/v1/{challenge.Name}:review",
            new ReviewChallengeRequest { Etag = challenge.Etag, Justified = true, Reasons = "New evidence from the school." });
        await ExpectAsync(challenge, RecordEntryKind.Review, trace, Stage.LineManagers, 0, referrerNotices: 5);

        foreach (var (who, target, tier) in new[] { (p.RaisingLineManager, Stage.Unspecified, 1), (p.RaisingSeniorManager, Stage.Unspecified, 2) })
        {
            (challenge, trace) = await RestStep<Disputes.V1.Challenge>(who, HttpMethod.Post, $"/v1/{challenge.Name}:escalate",
                new EscalateChallengeRequest { Etag = challenge.Etag, Reason = "No agreement at this level.", TargetStage = target });
            await ExpectAsync(challenge, RecordEntryKind.Escalated, trace, Stage.SeniorManagers, tier, referrerNotices: 5 + tier);
        }
        (challenge, trace) = await RestStep<Disputes.V1.Challenge>(p.RaisingHeadOfService, HttpMethod.Post, $"/v1/{challenge.Name}:escalate",
            new EscalateChallengeRequest { Etag = challenge.Etag, Reason = "Senior managers advise the partnership.", TargetStage = Stage.SafeguardingPartnership });
        await ExpectAsync(challenge, RecordEntryKind.Escalated, trace, Stage.SafeguardingPartnership, 0, referrerNotices: 8);

        var escalation = await EscalationAtAsync(challenge, Stage.SafeguardingPartnership, 0, p.PartnershipManager);
        var (appointed, _) = await RestStep<Escalation>(p.PartnershipManager, HttpMethod.Post, $"/v1/{escalation.Name}:appointIndependentChair",
            new AppointIndependentChairRequest { Etag = escalation.Etag });
        Assert.Equal(p.Chair.Id, appointed.IndependentChair.ProfessionalId);
        await Until(async () => (await _challenges.GetChallengeAsync(new GetChallengeRequest { Name = challenge.Name }, p.Referrer.Headers(suite))).IndependentChair?.ProfessionalId == p.Chair.Id);

        var (minutes, minutesTrace) = await RestStep<RecordEntry>(p.Chair, HttpMethod.Post, $"/v1/{challenge.Name}/entries:recordMinutes", new RecordMinutesRequest
        {
            RequestId = Guid.NewGuid().ToString(),
            Meeting = new Meeting
            {
                Mode = DiscussionMode.Meeting,
                HeldTime = Timestamp.FromDateTimeOffset(DateTimeOffset.UtcNow.AddHours(-1)),
                Attendees = { p.RaisingHeadOfService.Party, p.ReceivingHeadOfService.Party, p.Chair.Party },
                Minutes = "Resolution meeting held; the case is to be re-opened.",
                Recommendations = { "Review the closure guidance." },
            },
        });
        Assert.Equal((RecordEntryKind.MeetingMinutes, minutesTrace), (minutes.Kind, minutes.TraceId));

        challenge = (await _challenges.GetChallengeAsync(new GetChallengeRequest { Name = challenge.Name }, p.Referrer.Headers(suite))).Clone();
        (challenge, trace) = await RestStep<Disputes.V1.Challenge>(p.Chair, HttpMethod.Post, $"/v1/{challenge.Name}:resolve", new ResolveChallengeRequest
        {
            Etag = challenge.Etag,
            Resolution = new Resolution { Kind = ResolutionKind.PartnershipRecommendations, Summary = "Re-opened for assessment; guidance to be reviewed." },
        });
        Assert.Equal(ChallengeState.Resolved, challenge.State);
        await ExpectAsync(challenge, RecordEntryKind.Resolved, trace, Stage.SafeguardingPartnership, 0, referrerNotices: 10);

        var (deliveries, _) = await RestStep<ListDeliveriesResponse>(p.Referrer, HttpMethod.Get, $"/v1/{challenge.Name}/deliveries?pageSize=100", null);
        Assert.Contains(deliveries.Deliveries, d => d.RecipientRole == RecipientRole.Referrer && d.Notice.Length > 0);
        var (verified, _) = await RestStep<VerifyRecordResponse>(p.Referrer, HttpMethod.Get, $"/v1/{challenge.Name}/entries:verify", null);
        Assert.True(verified.Intact, verified.ToString());
    }

    /// <summary>One REST/JSON call through the gateway's HTTP/1.1 port in a fresh trace; the body and answer in the proto3 JSON mapping.</summary>
    private async Task<(T Result, string TraceId)> RestStep<T>(Person caller, HttpMethod method, string path, Google.Protobuf.IMessage? body)
        where T : Google.Protobuf.IMessage<T>, new()
    {
        var traceId = ActivityTraceId.CreateRandom().ToHexString();
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{suite.GatewayHttpPort}") };
        using var request = new HttpRequestMessage(method, path);
        request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", suite.Token(caller.Id, caller.Agency, caller.Roles));
        request.Headers.Add("traceparent", $"00-{traceId}-{ActivitySpanId.CreateRandom().ToHexString()}-01");
        if (body is not null)
            request.Content = new StringContent(Google.Protobuf.JsonFormatter.Default.Format(body), System.Text.Encoding.UTF8, "application/json");
        using var response = await http.SendAsync(request);
        var json = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"{method} {path}: {(int)response.StatusCode} {json}");
        return (Google.Protobuf.JsonParser.Default.Parse<T>(json), traceId);
    }

    private static Discussion Discussion(Partnership p, string summary, params Person[] attendees) => new()
    {
        Mode = DiscussionMode.Telephone,
        HeldTime = Timestamp.FromDateTimeOffset(DateTimeOffset.UtcNow.AddMinutes(-30)),
        Attendees = { attendees.Select(a => a.Party) },
        Summary = summary,
        AgreedActions = { new AgreedAction { Description = "Share the school's report", OwnerAgencyId = p.RaisingAgency } },
    };

    /// <summary>Runs one command in a fresh trace with a fresh request id, as an agency system would.</summary>
    private async Task<(Disputes.V1.Challenge Challenge, string TraceId)> Step(Person caller, Func<Metadata, string, Task<Disputes.V1.Challenge>> command)
    {
        var traceId = ActivityTraceId.CreateRandom().ToHexString();
        return (await command(caller.Headers(suite, traceId), Guid.NewGuid().ToString()), traceId);
    }

    /// <summary>The step is in the record in the caller's trace, the referrer has been told, and escalation shows the stage.</summary>
    private async Task ExpectAsync(Disputes.V1.Challenge challenge, RecordEntryKind kind, string traceId, Stage stage, int tier, int referrerNotices)
    {
        await Until(async () => (await RecordOf(challenge)).Entries.Any(e => e.Kind == kind && e.TraceId == traceId),
            () => $"no {kind} entry in trace {traceId}: {RecordOf(challenge).Result}");
        await Until(async () => (await ReferrerDeliveriesAsync(challenge, null)).Count >= referrerNotices,
            () => $"fewer than {referrerNotices} notices to the referrer: {string.Join(", ", ReferrerDeliveriesAsync(challenge, null).Result.Select(d => d.Notice))}");
        await EscalationAtAsync(challenge, stage, tier, null);
    }

    private async Task<Escalation> EscalationAtAsync(Disputes.V1.Challenge challenge, Stage stage, int tier, Person? reader)
    {
        Escalation? last = null;
        await Until(async () =>
        {
            last = await _escalations.GetEscalationAsync(new GetEscalationRequest { Name = challenge.Name + "/escalation" },
                (reader ?? Person.Of(challenge.RaisingParty)).Headers(suite));
            return last.Stage == stage && last.ManagementTier == tier && last.ChallengeVersion >= challenge.Version;
        }, () => $"escalation not at {stage} tier {tier}: {last}");
        return last!;
    }

    private async Task DeliveredToAsync(Disputes.V1.Challenge challenge, Person recipient, Person reader) =>
        await Until(async () => (await _notifications.ListDeliveriesAsync(new ListDeliveriesRequest { Parent = challenge.Name, PageSize = 100 }, reader.Headers(suite)))
            .Deliveries.Any(d => d.Recipient?.ProfessionalId == recipient.Id), () => $"nothing delivered to {recipient.Id}");

    private async Task<IReadOnlyList<Delivery>> ReferrerDeliveriesAsync(Disputes.V1.Challenge challenge, Partnership? _)
    {
        var all = new List<Delivery>();
        var request = new ListDeliveriesRequest { Parent = challenge.Name, PageSize = 100 };
        do
        {
            var page = await _notifications.ListDeliveriesAsync(request, Person.Of(challenge.RaisingParty).Headers(suite));
            all.AddRange(page.Deliveries);
            request.PageToken = page.NextPageToken;
        } while (request.PageToken.Length > 0);
        return all.Where(d => d.RecipientRole == RecipientRole.Referrer).ToList();
    }

    private async Task<ListRecordEntriesResponse> RecordOf(Disputes.V1.Challenge challenge)
    {
        var all = new ListRecordEntriesResponse();
        var request = new ListRecordEntriesRequest { Parent = challenge.Name, PageSize = 100 };
        do
        {
            var page = await _records.ListRecordEntriesAsync(request, Person.Of(challenge.RaisingParty).Headers(suite));
            all.Entries.AddRange(page.Entries);
            request.PageToken = page.NextPageToken;
        } while (request.PageToken.Length > 0);
        return all;
    }

    private static async Task Until(Func<Task<bool>> condition, Func<string>? explain = null)
    {
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (true)
        {
            try
            {
                if (await condition())
                    return;
            }
            catch (RpcException ex) when (ex.StatusCode == StatusCode.NotFound)
            {
            }
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException(explain?.Invoke() ?? "the condition did not hold within 20 s");
            await Task.Delay(100);
        }
    }

    /// <summary>A professional of the test's partnership directory.</summary>
    public sealed record Person(string Id, string Agency, params string[] Roles)
    {
        public Party Party => new() { AgencyId = Agency, ProfessionalId = Id, Role = Roles[0] };

        public static Person Of(Party party) => new(party.ProfessionalId, party.AgencyId, "practitioner");

        public Metadata Headers(SuiteFixture suite, string? traceId = null)
        {
            var headers = suite.Bearer(Id, Agency, Roles);
            if (traceId is not null)
                headers.Add("traceparent", $"00-{traceId}-{ActivitySpanId.CreateRandom().ToHexString()}-01");
            return headers;
        }
    }

    /// <summary>
    /// A partnership directory of its own for each test (agency ids are unique per test, so tests
    /// sharing the suite never see each other's people), set up through the gateway by a
    /// partnership caller as an operator would.
    /// </summary>
    public sealed class Partnership
    {
        private Partnership(string suffix)
        {
            RaisingAgency = $"police-{suffix}";
            ReceivingAgency = $"childrens-social-care-{suffix}";
            ChairAgency = $"health-{suffix}";
            PartnershipAgency = $"partnership-{suffix}";
            Referrer = new("pc-101", RaisingAgency, "practitioner");
            RaisingLineManager = new("ps-20", RaisingAgency, "line_manager");
            RaisingSeniorManager = new("insp-30", RaisingAgency, "senior_manager");
            RaisingHeadOfService = new("ci-40", RaisingAgency, "senior_manager");
            SocialWorker = new("sw-7", ReceivingAgency, "practitioner");
            ReceivingLineManager = new("tm-8", ReceivingAgency, "line_manager");
            ReceivingSeniorManager = new("sm-9", ReceivingAgency, "senior_manager");
            ReceivingHeadOfService = new("hos-10", ReceivingAgency, "senior_manager");
            Iro = new("iro-3", ReceivingAgency, "iro");
            Chair = new("chair-1", ChairAgency, "independent_chair");
            PartnershipManager = new("scp-1", PartnershipAgency, "partnership");
        }

        public string RaisingAgency { get; }
        public string ReceivingAgency { get; }
        public string ChairAgency { get; }
        public string PartnershipAgency { get; }
        public Person Referrer { get; }
        public Person RaisingLineManager { get; }
        public Person RaisingSeniorManager { get; }
        public Person RaisingHeadOfService { get; }
        public Person SocialWorker { get; }
        public Person ReceivingLineManager { get; }
        public Person ReceivingSeniorManager { get; }
        public Person ReceivingHeadOfService { get; }
        public Person Iro { get; }
        public Person Chair { get; }
        public Person PartnershipManager { get; }

        public RaiseChallengeRequest NewRaise() => new()
        {
            RequestId = Guid.NewGuid().ToString(),
            Challenge = new Disputes.V1.Challenge
            {
                RaisingParty = new Party { Role = "police officer" },
                ReceivingParty = new Party { AgencyId = ReceivingAgency, ProfessionalId = SocialWorker.Id, Role = "social worker" },
                Child = new ChildReference { Reference = "child-ref-42", LookedAfter = true, LocalAuthorityId = ReceivingAgency, IroProfessionalId = Iro.Id },
                Category = Category.CaseClosure,
                Subject = "The case was closed after a single home visit.",
                UnsafePracticeReason = "Neglect was reported again by the school last week.",
                DesiredChange = "Re-open the case and complete a child and family assessment.",
                ImpactOnChild = "The child remains in the home without any support plan.",
            },
        };

        /// <param name="suffix">Of every agency id; a fresh one unless a test needs ids it can name up front.</param>
        public static async Task<Partnership> SetUpAsync(SuiteFixture suite, EscalationService.EscalationServiceClient escalations, string? suffix = null)
        {
            var p = new Partnership(suffix ?? Guid.NewGuid().ToString("N")[..8]);
            var admin = p.PartnershipManager.Headers(suite);
            foreach (var (agency, kind) in new[]
            {
                (p.RaisingAgency, AgencyKind.Police), (p.ReceivingAgency, AgencyKind.ChildrensSocialCare),
                (p.ChairAgency, AgencyKind.Health), (p.PartnershipAgency, AgencyKind.Partnership),
            })
            {
                await escalations.CreateAgencyAsync(new CreateAgencyRequest { AgencyId = agency, Agency = new Agency { DisplayName = agency, Kind = kind } }, admin);
            }

            // Created top down, so each line manager exists before the people who report to them.
            await Add(p.RaisingHeadOfService, 3, null);
            await Add(p.RaisingSeniorManager, 2, p.RaisingHeadOfService);
            await Add(p.RaisingLineManager, 1, p.RaisingSeniorManager);
            await Add(p.Referrer, 0, p.RaisingLineManager);
            await Add(p.ReceivingHeadOfService, 3, null);
            await Add(p.ReceivingSeniorManager, 2, p.ReceivingHeadOfService);
            await Add(p.ReceivingLineManager, 1, p.ReceivingSeniorManager);
            await Add(p.SocialWorker, 0, p.ReceivingLineManager);
            await Add(p.Iro, 0, null);
            await Add(p.Chair, 2, null);
            await Add(p.PartnershipManager, 2, null);
            return p;

            Task Add(Person person, int tier, Person? lineManager) => escalations.CreateProfessionalAsync(new CreateProfessionalRequest
            {
                Parent = $"agencies/{person.Agency}",
                ProfessionalId = person.Id,
                Professional = new Professional
                {
                    DisplayName = person.Id,
                    Email = $"{person.Id}@{person.Agency}.example",
                    Roles = { person.Roles },
                    ManagementTier = tier,
                    LineManager = lineManager is null ? "" : $"agencies/{lineManager.Agency}/professionals/{lineManager.Id}",
                },
            }, admin).ResponseAsync;
        }
    }
}
