using System.Security.Claims;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Disputes.ServiceDefaults.Identity;

/// <summary>
/// Tokens already validated, so each one's signature and claims are checked once rather than on
/// every call. Keyed by the token itself, bounded in size, and held only until the token's
/// <c>exp</c> (never the clock skew the validator allows beyond it): after that the token is
/// validated again, and refused. A token that fails validation is never kept.
/// </summary>
public sealed class ValidatedTokenCache(TimeProvider timeProvider, int sizeLimit) : IDisposable
{
    public const int DefaultSizeLimit = 10_000;

    private readonly MemoryCache _tokens = new(new MemoryCacheOptions { SizeLimit = sizeLimit });

    public ValidatedTokenCache(TimeProvider timeProvider) : this(timeProvider, DefaultSizeLimit)
    {
    }

    public int Count => _tokens.Count;

    public async Task<TokenValidationResult> GetOrValidateAsync(string token, Func<string, Task<TokenValidationResult>> validate)
    {
        var now = timeProvider.GetUtcNow();
        if (_tokens.TryGetValue(token, out Validated? validated) && validated is not null)
        {
            if (now < validated.Expires)
                return validated.Result();
            _tokens.Remove(token);
        }

        var result = await validate(token);
        if (result.IsValid && result.ClaimsIdentity is { } identity && result.SecurityToken is { ValidTo: var validTo } securityToken
            && validTo != DateTime.MinValue)
        {
            var expires = new DateTimeOffset(DateTime.SpecifyKind(validTo, DateTimeKind.Utc));
            if (now < expires)
            {
                _tokens.Set(token, new Validated(identity.Clone(), securityToken, result.Issuer, result.TokenType, expires),
                    new MemoryCacheEntryOptions { Size = 1, AbsoluteExpiration = expires });
            }
        }
        return result;
    }

    public void Dispose() => _tokens.Dispose();

    /// <summary>What validation produced; each call gets its own copy of the identity, since a caller may add to it.</summary>
    private sealed record Validated(ClaimsIdentity Identity, SecurityToken Token, string Issuer, string TokenType, DateTimeOffset Expires)
    {
        public TokenValidationResult Result() => new()
        {
            IsValid = true,
            ClaimsIdentity = Identity.Clone(),
            SecurityToken = Token,
            Issuer = Issuer,
            TokenType = TokenType,
        };
    }
}

/// <summary>The JWT handler the bearer scheme uses, answering from <see cref="ValidatedTokenCache"/> when it can.</summary>
public sealed class CachingJsonWebTokenHandler(ValidatedTokenCache cache) : JsonWebTokenHandler
{
    public override Task<TokenValidationResult> ValidateTokenAsync(string token, TokenValidationParameters validationParameters) =>
        cache.GetOrValidateAsync(token, t => base.ValidateTokenAsync(t, validationParameters));
}
