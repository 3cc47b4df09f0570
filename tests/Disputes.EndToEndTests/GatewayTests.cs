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
}
