using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
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
}
