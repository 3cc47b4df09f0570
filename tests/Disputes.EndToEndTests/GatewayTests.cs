using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Disputes.Procedure;
using Disputes.ServiceDefaults.Identity;
using Disputes.V1;
using Grpc.Core;

namespace Disputes.EndToEndTests;

[Collection(SuiteCollection.Name)]
public sealed class GatewayTests(SuiteFixture suite)
{
    private readonly ChallengeService.ChallengeServiceClient _challenges = new(suite.Gateway);

    [Fact]
    public async Task A_call_without_a_token_is_UNAUTHENTICATED()
    {
        var error = await Assert.ThrowsAsync<RpcException>(() =>
            _challenges.RaiseChallengeAsync(DisputeLifecycleTests.NewRaise()).ResponseAsync);
        Assert.Equal(StatusCode.Unauthenticated, error.StatusCode);
    }

    [Fact]
    public async Task A_token_signed_with_another_key_is_UNAUTHENTICATED()
    {
        var forged = DevelopmentTokens.Mint(new AuthOptions { SigningKey = DevelopmentTokens.NewSigningKey() }, "pc-101", "police",
            [DisputeRoles.Partnership], TimeSpan.FromMinutes(5), DateTimeOffset.UtcNow);

        var error = await Assert.ThrowsAsync<RpcException>(() => _challenges.ListChallengesAsync(new ListChallengesRequest(),
            new Metadata { { "authorization", $"Bearer {forged}" } }).ResponseAsync);

        Assert.Equal(StatusCode.Unauthenticated, error.StatusCode);
    }

    [Fact]
    public async Task An_expired_token_is_UNAUTHENTICATED()
    {
        var expired = DevelopmentTokens.Mint(suite.Auth, "pc-101", "police", [DisputeRoles.Practitioner],
            TimeSpan.FromMinutes(5), DateTimeOffset.UtcNow.AddHours(-1));

        var error = await Assert.ThrowsAsync<RpcException>(() => _challenges.ListChallengesAsync(new ListChallengesRequest(),
            new Metadata { { "authorization", $"Bearer {expired}" } }).ResponseAsync);

        Assert.Equal(StatusCode.Unauthenticated, error.StatusCode);
    }

    [Fact]
    public async Task The_gateway_reports_its_health_on_its_HTTP_port()
    {
        using var http = new HttpClient();
        Assert.Equal("Healthy", await http.GetStringAsync($"http://127.0.0.1:{suite.GatewayHttpPort}/health/ready"));
        Assert.Equal("Healthy", await http.GetStringAsync($"http://127.0.0.1:{suite.GatewayHttpPort}/health/live"));
    }

    [Fact]
    public async Task Line_of_business_systems_without_gRPC_raise_and_read_over_REST_JSON()
    {
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{suite.GatewayHttpPort}") };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", suite.Token("hv-9", "health"));
        var body = new
        {
            raisingParty = new { role = "health visitor" },
            receivingParty = new { agencyId = "childrens-social-care" },
            child = new { reference = "child-ref-77" },
            category = "CATEGORY_NEED_FOR_ACTION",
            subject = "No response to the referral of last month.",
            unsafePracticeReason = "Bruising was seen at two visits.",
            desiredChange = "A strategy discussion this week.",
            impactOnChild = "The child may be harmed again.",
        };

        using var raised = await http.PostAsJsonAsync("/v1/challenges", body);
        Assert.Equal(HttpStatusCode.OK, raised.StatusCode);
        var name = (await raised.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("name").GetString()!;

        var read = await http.GetFromJsonAsync<JsonElement>($"/v1/{name}");
        Assert.Equal("STAGE_PROFESSIONAL_DISCUSSION", read.GetProperty("stage").GetString());

        using var incomplete = await http.PostAsJsonAsync("/v1/challenges", new { subject = "only this" });
        Assert.Equal(HttpStatusCode.BadRequest, incomplete.StatusCode);

        using var anonymous = new HttpClient();
        using var refused = await anonymous.GetAsync($"http://127.0.0.1:{suite.GatewayHttpPort}/v1/{name}");
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
    }

    [Fact]
    public async Task A_caller_over_its_rate_limit_gets_RESOURCE_EXHAUSTED_while_others_are_served()
    {
        var flooding = suite.Bearer("flood-1", "police-flood-test");

        var calls = await Task.WhenAll(Enumerable.Range(0, 300).Select(async _ =>
        {
            try
            {
                await _challenges.ListChallengesAsync(new ListChallengesRequest { PageSize = 1 }, flooding);
                return StatusCode.OK;
            }
            catch (RpcException e)
            {
                return e.StatusCode;
            }
        }));

        Assert.Contains(StatusCode.ResourceExhausted, calls);
        Assert.Contains(StatusCode.OK, calls);
        Assert.All(calls, c => Assert.True(c is StatusCode.OK or StatusCode.ResourceExhausted, $"unexpected {c}"));
        await _challenges.ListChallengesAsync(new ListChallengesRequest { PageSize = 1 }, suite.Bearer("calm-1", "police-calm-test"));
    }

    [Fact]
    public async Task A_message_over_the_size_limit_is_refused_and_raises_nothing()
    {
        var request = DisputeLifecycleTests.NewRaise();
        request.Challenge.Subject = new string('x', 5 * 1024 * 1024);
        var caller = suite.Bearer("big-1", "police-size-test");

        var error = await Assert.ThrowsAsync<RpcException>(() => _challenges.RaiseChallengeAsync(request, caller).ResponseAsync);

        Assert.NotEqual(StatusCode.OK, error.StatusCode);
        Assert.Empty((await _challenges.ListChallengesAsync(new ListChallengesRequest(), caller)).Challenges);
    }
}
