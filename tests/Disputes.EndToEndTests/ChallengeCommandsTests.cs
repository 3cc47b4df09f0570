using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Disputes.Procedure;
using Disputes.V1;
using Google.Rpc;
using Grpc.Core;

namespace Disputes.EndToEndTests;

/// <summary>The challenge service's part of the procedure, through the gateway over gRPC and over REST/JSON.</summary>
[Collection(SuiteCollection.Name)]
public sealed class ChallengeCommandsTests(SuiteFixture suite)
{
    private readonly ChallengeService.ChallengeServiceClient _challenges = new(suite.Gateway);

    // Each test has its own professionals, so the gateway's per-caller rate limit is never shared.
    private Metadata Referrer(string test) => suite.Bearer($"pc-{test}", "police", DisputeRoles.Practitioner);
    private Metadata Receiver(string test) => suite.Bearer($"sw-{test}", "childrens-social-care", DisputeRoles.Practitioner);
    private Metadata RaisingManager(string test) => suite.Bearer($"sgt-{test}", "police", DisputeRoles.LineManager);
    private Metadata ReceivingSeniorManager(string test) => suite.Bearer($"hos-{test}", "childrens-social-care", DisputeRoles.SeniorManager);
    private Metadata PartnershipContact(string test) => suite.Bearer($"p-{test}", "safeguarding-partnership", DisputeRoles.Partnership);

    [Fact]
    public async Task A_challenge_about_a_looked_after_child_goes_from_raise_to_the_partnership_and_is_resolved_over_gRPC()
    {
        const string t = "grpc-path";
        var raised = await _challenges.RaiseChallengeAsync(DisputeLifecycleTests.NewRaise(), Referrer(t));

        var acknowledged = await _challenges.AcknowledgeChallengeAsync(new AcknowledgeChallengeRequest { Name = raised.Name, Etag = raised.Etag, Note = "Received." }, Receiver(t));
        var discussed = await _challenges.RecordDiscussionAsync(new RecordDiscussionRequest
        {
            Name = raised.Name, Etag = acknowledged.Etag,
            Discussion = new Discussion { Mode = DiscussionMode.Telephone, Summary = "No agreement on re-opening the case." },
        }, Referrer(t));
        var atStage2 = await _challenges.EscalateChallengeAsync(new EscalateChallengeRequest { Name = raised.Name, Etag = discussed.Etag, Reason = "No agreement." }, Referrer(t));
        Assert.Equal((Stage.LineManagers, ChallengeState.AwaitingReview), (atStage2.Stage, atStage2.State));
        var reviewed = await _challenges.ReviewChallengeAsync(new ReviewChallengeRequest { Name = raised.Name, Etag = atStage2.Etag, Justified = true }, RaisingManager(t));
        var discussedAt2 = await _challenges.RecordDiscussionAsync(new RecordDiscussionRequest
        {
            Name = raised.Name, Etag = reviewed.Etag,
            Discussion = new Discussion { Mode = DiscussionMode.Meeting, Summary = "Managers met.", AgreedActions = { new AgreedAction { Description = "Review the file", OwnerAgencyId = "childrens-social-care", DueDate = "2026-12-01" } } },
        }, RaisingManager(t));
        var tier1 = await _challenges.EscalateChallengeAsync(new EscalateChallengeRequest { Name = raised.Name, Etag = discussedAt2.Etag }, RaisingManager(t));
        var tier2 = await _challenges.EscalateChallengeAsync(new EscalateChallengeRequest { Name = raised.Name, Etag = tier1.Etag }, ReceivingSeniorManager(t));
        var atStage4 = await _challenges.EscalateChallengeAsync(new EscalateChallengeRequest
        {
            Name = raised.Name, Etag = tier2.Etag, TargetStage = Stage.SafeguardingPartnership, Reason = "Senior managers advise the partnership.",
        }, ReceivingSeniorManager(t));
        var resolved = await _challenges.ResolveChallengeAsync(new ResolveChallengeRequest
        {
            Name = raised.Name, Etag = atStage4.Etag,
            Resolution = new Resolution { Kind = ResolutionKind.PartnershipRecommendations, Summary = "The case is re-opened; the threshold guidance is to be revised." },
        }, PartnershipContact(t));

        Assert.Equal((Stage.SeniorManagers, 1), (tier1.Stage, tier1.ManagementTier));
        Assert.Equal((Stage.SeniorManagers, 2), (tier2.Stage, tier2.ManagementTier));
        Assert.Equal(Stage.SafeguardingPartnership, atStage4.Stage);
        Assert.Equal(ChallengeState.Resolved, resolved.State);
        Assert.Equal(ResolutionKind.PartnershipRecommendations, resolved.Resolution.Kind);
        Assert.Equal(10, resolved.Version);
        Assert.Equal(2, resolved.Discussions.Count);
        Assert.Equal(["raise", "acknowledge", "escalate", "review", "escalate", "escalate", "escalate", "resolve"], resolved.History.Select(h => h.Command));
        Assert.Equal(resolved, await _challenges.GetChallengeAsync(new GetChallengeRequest { Name = raised.Name }, Referrer(t)));
    }

    [Fact]
    public async Task A_not_justified_review_closes_the_challenge_with_its_reasons_and_nothing_moves_it_after()
    {
        const string t = "not-justified";
        var raised = await _challenges.RaiseChallengeAsync(DisputeLifecycleTests.NewRaise(), Referrer(t));
        var atStage2 = await _challenges.EscalateChallengeAsync(new EscalateChallengeRequest { Name = raised.Name, Etag = raised.Etag }, Referrer(t));

        var closed = await _challenges.ReviewChallengeAsync(new ReviewChallengeRequest
        {
            Name = raised.Name, Etag = atStage2.Etag, Justified = false, Reasons = "The assessment was completed and shared.",
        }, RaisingManager(t));

        Assert.Equal(ChallengeState.ClosedNotJustified, closed.State);
        Assert.Equal("The assessment was completed and shared.", closed.Review.Reasons);
        var error = await Assert.ThrowsAsync<RpcException>(() => _challenges.EscalateChallengeAsync(
            new EscalateChallengeRequest { Name = raised.Name, Etag = closed.Etag }, RaisingManager(t)).ResponseAsync);
        Assert.Equal(StatusCode.FailedPrecondition, error.StatusCode);
        Assert.Contains("closed", Assert.Single(error.GetRpcStatus()!.GetDetail<PreconditionFailure>().Violations).Description);
    }

    [Fact]
    public async Task A_stale_etag_is_ABORTED_a_non_party_PERMISSION_DENIED_and_a_retried_request_id_answers_as_before()
    {
        const string t = "refusals";
        var raised = await _challenges.RaiseChallengeAsync(DisputeLifecycleTests.NewRaise(), Referrer(t));
        var acknowledge = new AcknowledgeChallengeRequest { Name = raised.Name, Etag = raised.Etag, RequestId = Guid.NewGuid().ToString() };
        var acknowledged = await _challenges.AcknowledgeChallengeAsync(acknowledge, Receiver(t));

        var retried = await _challenges.AcknowledgeChallengeAsync(acknowledge, Receiver(t));
        var stale = await Assert.ThrowsAsync<RpcException>(() => _challenges.WithdrawChallengeAsync(
            new WithdrawChallengeRequest { Name = raised.Name, Etag = raised.Etag, Reason = "Resolved by phone." }, Referrer(t)).ResponseAsync);
        var outsider = await Assert.ThrowsAsync<RpcException>(() => _challenges.WithdrawChallengeAsync(
            new WithdrawChallengeRequest { Name = raised.Name, Etag = acknowledged.Etag, Reason = "x" }, suite.Bearer($"teacher-{t}", "education", DisputeRoles.LineManager)).ResponseAsync);
        acknowledge.Note = "another note";
        var reused = await Assert.ThrowsAsync<RpcException>(() => _challenges.AcknowledgeChallengeAsync(acknowledge, Receiver(t)).ResponseAsync);

        Assert.Equal(acknowledged, retried);
        Assert.Equal(StatusCode.Aborted, stale.StatusCode);
        Assert.Equal(StatusCode.PermissionDenied, outsider.StatusCode);
        Assert.DoesNotContain("withdraw", outsider.Status.Detail, StringComparison.OrdinalIgnoreCase);
        Assert.Equal(StatusCode.AlreadyExists, reused.StatusCode);
        Assert.Equal("REQUEST_ID_REUSED", reused.GetRpcStatus()!.GetDetail<ErrorInfo>().Reason);
        Assert.Equal(2, (await _challenges.GetChallengeAsync(new GetChallengeRequest { Name = raised.Name }, Referrer(t))).Version);
    }

    [Fact]
    public async Task Every_command_is_reachable_over_REST_with_errors_mapped_to_HTTP_statuses()
    {
        const string t = "rest";
        using var referrer = Rest(suite.Token($"pc-{t}", "police", DisputeRoles.Practitioner));
        using var receiver = Rest(suite.Token($"sw-{t}", "childrens-social-care", DisputeRoles.Practitioner));
        using var manager = Rest(suite.Token($"sgt-{t}", "police", DisputeRoles.LineManager));
        using var seniorManager = Rest(suite.Token($"hos-{t}", "childrens-social-care", DisputeRoles.SeniorManager));
        using var partnership = Rest(suite.Token($"p-{t}", "safeguarding-partnership", DisputeRoles.Partnership));
        using var outsider = Rest(suite.Token($"teacher-{t}", "education", DisputeRoles.LineManager));

        var challenge = await Ok(referrer.PostAsJsonAsync("/v1/challenges", new
        {
            raisingParty = new { role = "police officer" },
            receivingParty = new { agencyId = "childrens-social-care", professionalId = $"sw-{t}" },
            child = new { reference = "child-ref-rest", onChildProtectionPlan = true, localAuthorityId = "childrens-social-care" },
            category = "CATEGORY_CASE_CLOSURE",
            subject = "Case closed after one visit.",
            unsafePracticeReason = "Neglect reported again.",
            desiredChange = "Re-open the case.",
            impactOnChild = "No support plan.",
        }));
        var name = challenge.GetProperty("name").GetString()!;
        string Etag(JsonElement c) => c.GetProperty("etag").GetString()!;

        challenge = await Ok(receiver.PostAsJsonAsync($"/v1/{name}:acknowledge", new { etag = Etag(challenge), note = "Received." }));
        challenge = await Ok(referrer.PostAsJsonAsync($"/v1/{name}:recordDiscussion", new
        {
            etag = Etag(challenge), discussion = new { mode = "DISCUSSION_MODE_FACE_TO_FACE", summary = "We met." },
        }));
        Assert.Equal(HttpStatusCode.Forbidden, await Status(outsider.PostAsJsonAsync($"/v1/{name}:escalate", new { etag = Etag(challenge) })));
        Assert.Equal(HttpStatusCode.Conflict, await Status(referrer.PostAsJsonAsync($"/v1/{name}:escalate", new { etag = "\"1\"" })));
        challenge = await Ok(referrer.PostAsJsonAsync($"/v1/{name}:escalate", new { etag = Etag(challenge), reason = "No agreement." }));
        challenge = await Ok(manager.PostAsJsonAsync($"/v1/{name}:review", new { etag = Etag(challenge), justified = true }));
        challenge = await Ok(manager.PostAsJsonAsync($"/v1/{name}:escalate", new { etag = Etag(challenge) }));
        challenge = await Ok(seniorManager.PostAsJsonAsync($"/v1/{name}:escalate", new { etag = Etag(challenge), targetStage = "STAGE_SAFEGUARDING_PARTNERSHIP" }));
        Assert.Equal("STAGE_SAFEGUARDING_PARTNERSHIP", challenge.GetProperty("stage").GetString());
        challenge = await Ok(partnership.PostAsJsonAsync($"/v1/{name}:resolve", new
        {
            etag = Etag(challenge), resolution = new { kind = "RESOLUTION_KIND_PARTNERSHIP_RECOMMENDATIONS", summary = "Recommendations made." },
        }));
        Assert.Equal("CHALLENGE_STATE_RESOLVED", challenge.GetProperty("state").GetString());
        // Closed: FAILED_PRECONDITION is 400 over REST, with its PreconditionFailure.
        using var afterResolve = await referrer.PostAsJsonAsync($"/v1/{name}:withdraw", new { etag = Etag(challenge), reason = "x" });
        Assert.Equal(HttpStatusCode.BadRequest, afterResolve.StatusCode);
        Assert.Contains("PreconditionFailure", await afterResolve.Content.ReadAsStringAsync());

        var withdrawn = await Ok(referrer.PostAsJsonAsync("/v1/challenges", new
        {
            raisingParty = new { role = "police officer" }, receivingParty = new { agencyId = "childrens-social-care" },
            child = new { reference = "child-ref-rest-2" }, category = "CATEGORY_NEED_FOR_ACTION",
            subject = "s", unsafePracticeReason = "u", desiredChange = "d", impactOnChild = "i",
        }));
        Assert.Equal(HttpStatusCode.BadRequest, await Status(referrer.PostAsJsonAsync($"/v1/{withdrawn.GetProperty("name").GetString()}:withdraw", new { etag = Etag(withdrawn) })));
        withdrawn = await Ok(referrer.PostAsJsonAsync($"/v1/{withdrawn.GetProperty("name").GetString()}:withdraw", new { etag = Etag(withdrawn), reason = "Agreed by phone." }));
        Assert.Equal("CHALLENGE_STATE_WITHDRAWN", withdrawn.GetProperty("state").GetString());
    }

    [Fact]
    public async Task A_raise_carrying_a_large_unknown_field_is_stored_and_returned_without_it()
    {
        const string t = "unknown-field";
        var request = DisputeLifecycleTests.NewRaise();
        // Just under the 1 MiB transport limit (a 3 MB message is refused before it reaches the service).
        using (var buffer = new MemoryStream())
        {
            var output = new Google.Protobuf.CodedOutputStream(buffer);
            request.Challenge.WriteTo(output);
            output.WriteTag(999, Google.Protobuf.WireFormat.WireType.LengthDelimited);
            output.WriteBytes(Google.Protobuf.ByteString.CopyFrom(new byte[1000 * 1000]));
            output.Flush();
            request.Challenge = Disputes.V1.Challenge.Parser.ParseFrom(buffer.ToArray());
        }

        var raised = await _challenges.RaiseChallengeAsync(request, Referrer(t));
        var read = await _challenges.GetChallengeAsync(new GetChallengeRequest { Name = raised.Name }, Referrer(t));
        var supportView = await _challenges.GetChallengeAsync(new GetChallengeRequest { Name = raised.Name }, suite.Bearer($"eng-{t}", "suite-support", DisputeRoles.Support));

        Assert.All(new[] { raised, read, supportView }, c => Assert.True(c.CalculateSize() < 8192, $"{c.CalculateSize()} bytes"));
    }

    private HttpClient Rest(string token)
    {
        var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{suite.GatewayHttpPort}") };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return http;
    }

    private static async Task<JsonElement> Ok(Task<HttpResponseMessage> call)
    {
        using var response = await call;
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{(int)response.StatusCode}: {body}");
        return JsonDocument.Parse(body).RootElement.Clone();
    }

    private static async Task<HttpStatusCode> Status(Task<HttpResponseMessage> call)
    {
        using var response = await call;
        return response.StatusCode;
    }
}
