using System.Security.Claims;
using Microsoft.IdentityModel.Tokens;

namespace Disputes.ServiceDefaults.Identity;

/// <summary>
/// What a bearer token must be to be accepted, in one place for the gateway and every service:
/// pinned algorithms and token types, the audience, and the claims the suite relies on.
/// </summary>
public static class TokenValidation
{
    /// <summary>Development tokens are signed with the shared development key only.</summary>
    public static IReadOnlyList<string> DevelopmentAlgorithms { get; } = [SecurityAlgorithms.HmacSha256];

    /// <summary>Asymmetric algorithms only from the identity provider: a symmetric key is never taken from it.</summary>
    public static IReadOnlyList<string> AuthorityAlgorithms { get; } = [SecurityAlgorithms.RsaSha256, SecurityAlgorithms.EcdsaSha256];

    /// <summary>The <c>typ</c> header values accepted: plain JWTs and RFC 9068 access tokens.</summary>
    public static IReadOnlyList<string> TokenTypes { get; } = ["JWT", "at+jwt"];

    public static TokenValidationParameters ParametersFor(AuthOptions auth)
    {
        var development = auth.Authority.Length == 0;
        var parameters = new TokenValidationParameters
        {
            ValidIssuer = auth.Issuer,
            ValidAudience = auth.Audience,
            ValidateIssuer = true,
            ValidateAudience = true,
            ValidateLifetime = true,
            RequireExpirationTime = true,
            RequireSignedTokens = true,
            ValidateIssuerSigningKey = true,
            ValidAlgorithms = development ? DevelopmentAlgorithms : AuthorityAlgorithms,
            ValidTypes = TokenTypes,
            NameClaimType = DisputeClaims.Subject,
            RoleClaimType = DisputeClaims.Roles,
            ClockSkew = TimeSpan.FromSeconds(30),
        };
        if (development)
            parameters.IssuerSigningKey = DevelopmentTokens.KeyFrom(auth.SigningKey);
        return parameters;
    }

    /// <summary>
    /// Why a signed, current token is still refused, or null when it names the professional
    /// (<c>sub</c>), their agency and their roles (a string or an array of strings).
    /// </summary>
    public static string? Refusal(ClaimsPrincipal principal)
    {
        if (SingleString(principal, DisputeClaims.Subject) is null)
            return "The token names no professional (sub).";
        if (SingleString(principal, DisputeClaims.Agency) is null)
            return "The token names no agency (agency).";
        var roles = principal.FindAll(DisputeClaims.Roles).ToList();
        if (roles.Count == 0 || roles.Any(role => role.ValueType != ClaimValueTypes.String || role.Value.Length == 0))
            return "The token carries no roles, or roles that are not strings (roles).";
        return null;
    }

    private static string? SingleString(ClaimsPrincipal principal, string type)
    {
        var claims = principal.FindAll(type).ToList();
        return claims is [{ ValueType: ClaimValueTypes.String, Value.Length: > 0 } claim] ? claim.Value : null;
    }
}
