using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using Disputes.Procedure;
using Disputes.ServiceDefaults.Identity;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.Hosting;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Disputes.UnitTests;

/// <summary>The token rules every process applies, through the real authentication pipeline on a test server.</summary>
public sealed class TokenValidationTests : IAsyncLifetime
{
    // 512 bits, so the same key could sign HS384 and HS512 too: only the pinned algorithm refuses those.
    private readonly AuthOptions _auth = new() { SigningKey = Convert.ToBase64String(RandomNumberGenerator.GetBytes(64)) };
    private WebApplication _app = null!;
    private HttpClient _client = null!;

    public async Task InitializeAsync()
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = Environments.Development });
        builder.WebHost.UseTestServer();
        builder.Configuration["Auth:SigningKey"] = _auth.SigningKey;
        builder.AddDisputesAuthentication();
        _app = builder.Build();
        _app.UseAuthentication();
        _app.UseAuthorization();
        _app.MapGet("/probe", () => "ok").RequireAuthorization(AuthenticationExtensions.CallerPolicy);
        await _app.StartAsync();
        _client = _app.GetTestClient();
    }

    public async Task DisposeAsync()
    {
        _client.Dispose();
        await _app.DisposeAsync();
    }

    private static readonly DateTimeOffset Now = DateTimeOffset.UtcNow;

    private Dictionary<string, object> Claims() => new()
    {
        ["sub"] = "pc-101",
        ["agency"] = "police",
        ["roles"] = "practitioner",
    };

    private string Sign(Dictionary<string, object> claims, string algorithm = SecurityAlgorithms.HmacSha256, string? type = "JWT",
        string? audience = null, SecurityKey? key = null) =>
        new JsonWebTokenHandler { SetDefaultTimesOnTokenCreation = false }.CreateToken(new SecurityTokenDescriptor
        {
            Issuer = _auth.Issuer,
            Audience = audience ?? _auth.Audience,
            Claims = claims,
            IssuedAt = Now.UtcDateTime,
            NotBefore = Now.UtcDateTime,
            Expires = Now.AddMinutes(5).UtcDateTime,
            TokenType = type,
            SigningCredentials = new SigningCredentials(key ?? DevelopmentTokens.KeyFrom(_auth.SigningKey), algorithm),
        });

    private async Task<HttpStatusCode> CallWith(string token)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/probe");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        using var response = await _client.SendAsync(request);
        return response.StatusCode;
    }

    [Fact]
    public async Task A_development_token_is_accepted() =>
        Assert.Equal(HttpStatusCode.OK, await CallWith(DevelopmentTokens.Mint(_auth, "pc-101", "police", [DisputeRoles.Practitioner], TimeSpan.FromMinutes(5), Now)));

    [Fact]
    public async Task Roles_as_an_array_and_the_access_token_type_are_accepted()
    {
        var claims = Claims();
        claims["roles"] = new[] { "practitioner", "line_manager" };
        Assert.Equal(HttpStatusCode.OK, await CallWith(Sign(claims, type: "at+jwt")));
    }

    [Theory]
    [InlineData("sub")]
    [InlineData("agency")]
    [InlineData("roles")]
    public async Task A_token_without_a_required_claim_is_refused(string claim)
    {
        var claims = Claims();
        claims.Remove(claim);
        Assert.Equal(HttpStatusCode.Unauthorized, await CallWith(Sign(claims)));
    }

    [Fact]
    public async Task Roles_that_are_not_strings_are_refused()
    {
        var claims = Claims();
        claims["roles"] = 7;
        Assert.Equal(HttpStatusCode.Unauthorized, await CallWith(Sign(claims)));
        claims["roles"] = new Dictionary<string, object> { ["role"] = "partnership" };
        Assert.Equal(HttpStatusCode.Unauthorized, await CallWith(Sign(claims)));
    }

    [Fact]
    public async Task An_empty_subject_is_refused()
    {
        var claims = Claims();
        claims["sub"] = "";
        Assert.Equal(HttpStatusCode.Unauthorized, await CallWith(Sign(claims)));
    }

    [Theory]
    [InlineData(SecurityAlgorithms.HmacSha384)]
    [InlineData(SecurityAlgorithms.HmacSha512)]
    public async Task Another_algorithm_with_the_development_key_is_refused(string algorithm)
    {
        // Signed with the very key the processes hold: only the algorithm is wrong.
        Assert.Equal(HttpStatusCode.Unauthorized, await CallWith(Sign(Claims(), algorithm)));
        Assert.Equal(HttpStatusCode.OK, await CallWith(Sign(Claims(), SecurityAlgorithms.HmacSha256)));
    }

    [Fact]
    public async Task A_token_without_a_type_is_refused()
    {
        var exp = Now.AddMinutes(5).ToUnixTimeSeconds();
        var unsigned = $"{Part("""{"alg":"HS256"}""")}.{Part($$"""{"sub":"pc-101","agency":"police","roles":"partnership","iss":"{{_auth.Issuer}}","aud":"{{_auth.Audience}}","exp":{{exp}}}""")}";
        var signature = Base64UrlEncoder.Encode(HMACSHA256.HashData(Convert.FromBase64String(_auth.SigningKey), Encoding.ASCII.GetBytes(unsigned)));
        Assert.Equal(HttpStatusCode.Unauthorized, await CallWith($"{unsigned}.{signature}"));
        // The same token with its type is accepted: only the missing type refuses it.
        var typed = $"{Part("""{"alg":"HS256","typ":"JWT"}""")}.{unsigned.Split('.')[1]}";
        Assert.Equal(HttpStatusCode.OK, await CallWith(
            $"{typed}.{Base64UrlEncoder.Encode(HMACSHA256.HashData(Convert.FromBase64String(_auth.SigningKey), Encoding.ASCII.GetBytes(typed)))}"));
    }

    private static string Part(string json) => Base64UrlEncoder.Encode(Encoding.UTF8.GetBytes(json));

    [Theory]
    [InlineData("id_token+jwt")]
    [InlineData("JWS")]
    public async Task Another_token_type_is_refused(string type) =>
        Assert.Equal(HttpStatusCode.Unauthorized, await CallWith(Sign(Claims(), type: type)));

    [Fact]
    public async Task An_unsigned_token_is_refused()
    {
        var exp = Now.AddMinutes(5).ToUnixTimeSeconds();
        var unsigned = $"{Part("""{"alg":"none","typ":"JWT"}""")}.{Part($$"""{"sub":"pc-101","agency":"police","roles":"partnership","iss":"{{_auth.Issuer}}","aud":"{{_auth.Audience}}","exp":{{exp}}}""")}.";
        Assert.Equal(HttpStatusCode.Unauthorized, await CallWith(unsigned));
    }

    [Fact]
    public async Task A_token_for_another_audience_is_refused() =>
        Assert.Equal(HttpStatusCode.Unauthorized, await CallWith(Sign(Claims(), audience: "another-api")));

    [Fact]
    public void With_an_identity_provider_only_RS256_and_ES256_tokens_are_accepted()
    {
        var parameters = TokenValidation.ParametersFor(new AuthOptions { Authority = "https://login.example.org/realms/disputes" });
        using var rsa = RSA.Create(2048);
        var rsaKey = new RsaSecurityKey(rsa) { KeyId = "idp" };
        var symmetric = DevelopmentTokens.KeyFrom(_auth.SigningKey);
        parameters.IssuerSigningKeys = [rsaKey, symmetric];

        bool Accepts(SecurityKey key, string algorithm) => new JsonWebTokenHandler()
            .ValidateTokenAsync(Sign(Claims(), algorithm, key: key), parameters).GetAwaiter().GetResult().IsValid;

        Assert.True(Accepts(rsaKey, SecurityAlgorithms.RsaSha256));
        Assert.False(Accepts(rsaKey, SecurityAlgorithms.RsaSsaPssSha256));
        Assert.False(Accepts(rsaKey, SecurityAlgorithms.RsaSha512));
        Assert.False(Accepts(symmetric, SecurityAlgorithms.HmacSha256));
    }

    [Theory]
    [InlineData("Production")]
    [InlineData("Staging")]
    public void The_development_key_refuses_to_start_outside_Development(string environment)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = environment });
        builder.Configuration["Auth:SigningKey"] = _auth.SigningKey;
        var error = Assert.Throws<InvalidOperationException>(() => builder.AddDisputesAuthentication());
        Assert.Contains("Development", error.Message);
    }

    [Fact]
    public void An_identity_provider_starts_outside_Development()
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = Environments.Production });
        builder.Configuration["Auth:Authority"] = "https://login.example.org/realms/disputes";
        builder.AddDisputesAuthentication();
    }

    [Theory]
    [InlineData("", "")]
    [InlineData("c2hvcnQ=", "")]
    [InlineData("key", "https://login.example.org/realms/disputes")]
    public void A_missing_short_or_doubled_key_source_refuses_to_start(string key, string authority)
    {
        if (key == "key")
            key = _auth.SigningKey;
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = Environments.Development });
        builder.Configuration["Auth:SigningKey"] = key;
        builder.Configuration["Auth:Authority"] = authority;
        Assert.Throws<InvalidOperationException>(() => builder.AddDisputesAuthentication());
    }
}
