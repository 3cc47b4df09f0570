using System.Security.Claims;
using System.Security.Cryptography;
using Disputes.Procedure;
using Disputes.ServiceDefaults.Identity;
using Microsoft.Extensions.Time.Testing;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Disputes.UnitTests;

/// <summary>A token is validated once, kept until its expiry and never longer, and a failure is never kept.</summary>
public sealed class ValidatedTokenCacheTests : IDisposable
{
    private static readonly TimeSpan Lifetime = TimeSpan.FromMinutes(10);
    private readonly AuthOptions _auth = new() { SigningKey = DevelopmentTokens.NewSigningKey() };
    private readonly FakeTimeProvider _time = new(DateTimeOffset.UtcNow);
    private readonly ValidatedTokenCache _cache;
    private readonly TokenValidationParameters _parameters;
    private int _validations;

    public ValidatedTokenCacheTests()
    {
        _cache = new ValidatedTokenCache(_time, sizeLimit: 100);
        _parameters = TokenValidation.ParametersFor(_auth);
        // The validator reads the same fake clock as the cache, so time can pass without sleeping.
        _parameters.LifetimeValidator = (notBefore, expires, _, p) =>
            expires is { } exp && _time.GetUtcNow().UtcDateTime <= exp + p.ClockSkew
            && (notBefore is not { } nbf || _time.GetUtcNow().UtcDateTime >= nbf - p.ClockSkew);
    }

    public void Dispose() => _cache.Dispose();

    private string Mint(string professional = "pc-101") =>
        DevelopmentTokens.Mint(_auth, professional, "police", [DisputeRoles.Practitioner], Lifetime, _time.GetUtcNow());

    private Task<TokenValidationResult> ValidateAsync(string token) =>
        _cache.GetOrValidateAsync(token, t =>
        {
            _validations++;
            return new JsonWebTokenHandler { MapInboundClaims = false }.ValidateTokenAsync(t, _parameters);
        });

    [Fact]
    public async Task A_token_is_validated_once_and_answered_from_the_cache_until_its_expiry()
    {
        var token = Mint();

        var first = await ValidateAsync(token);
        _time.Advance(Lifetime - TimeSpan.FromSeconds(1));
        var cached = await ValidateAsync(token);

        Assert.True(first.IsValid);
        Assert.True(cached.IsValid);
        Assert.Equal(1, _validations);
        Assert.Equal("pc-101", cached.ClaimsIdentity.FindFirst(DisputeClaims.Subject)?.Value);
    }

    [Fact]
    public async Task A_cached_token_expires_at_its_exp_and_is_refused_once_the_validator_refuses_it()
    {
        var token = Mint();
        await ValidateAsync(token);

        // At exp the cache no longer answers: the validator does (it allows its clock skew, not the cache).
        _time.Advance(Lifetime);
        var atExpiry = await ValidateAsync(token);
        Assert.Equal(2, _validations);
        Assert.True(atExpiry.IsValid);

        _time.Advance(TimeSpan.FromSeconds(31));
        var expired = await ValidateAsync(token);
        Assert.False(expired.IsValid);
        Assert.Equal(3, _validations);
    }

    [Fact]
    public async Task A_different_token_is_validated_and_answers_for_its_own_professional()
    {
        var first = await ValidateAsync(Mint("pc-101"));
        var second = await ValidateAsync(Mint("sw-7"));

        Assert.Equal(2, _validations);
        Assert.Equal("pc-101", first.ClaimsIdentity.FindFirst(DisputeClaims.Subject)?.Value);
        Assert.Equal("sw-7", second.ClaimsIdentity.FindFirst(DisputeClaims.Subject)?.Value);
    }

    [Fact]
    public async Task A_forged_token_is_refused_every_time_and_never_cached()
    {
        var other = new AuthOptions { SigningKey = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)) };
        var forged = DevelopmentTokens.Mint(other, "pc-101", "police", [DisputeRoles.Partnership], Lifetime, _time.GetUtcNow());
        var genuine = Mint();
        // The genuine token's header and claims with the forged one's signature.
        var tampered = genuine[..genuine.LastIndexOf('.')] + forged[forged.LastIndexOf('.')..];

        foreach (var token in new[] { forged, tampered })
        {
            Assert.False((await ValidateAsync(token)).IsValid);
            Assert.False((await ValidateAsync(token)).IsValid);
        }

        Assert.Equal(4, _validations);
        Assert.Equal(0, _cache.Count);
    }

    [Fact]
    public async Task Each_answer_has_its_own_identity_so_a_caller_adding_a_claim_changes_no_other_call()
    {
        var token = Mint();
        var first = await ValidateAsync(token);
        first.ClaimsIdentity.AddClaim(new Claim(DisputeClaims.Roles, DisputeRoles.Partnership));

        var second = await ValidateAsync(token);

        Assert.Equal(1, _validations);
        Assert.DoesNotContain(second.ClaimsIdentity.FindAll(DisputeClaims.Roles), c => c.Value == DisputeRoles.Partnership);
    }

    [Fact]
    public async Task The_cache_holds_no_more_tokens_than_its_size()
    {
        for (var i = 0; i < 150; i++)
            await ValidateAsync(Mint($"p-{i}"));

        Assert.InRange(_cache.Count, 1, 100);
    }
}
