using System.Security.Claims;
using System.Security.Cryptography;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Disputes.ServiceDefaults.Identity;

/// <summary>Development tokens signed with the local key; production tokens come from the agencies' identity provider.</summary>
public static class DevelopmentTokens
{
    public static string NewSigningKey() => Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));

    public static SymmetricSecurityKey KeyFrom(string base64) =>
        new(Convert.FromBase64String(base64)) { KeyId = "development" };

    public static string Mint(AuthOptions auth, string professionalId, string agencyId, IEnumerable<string> roles,
        TimeSpan lifetime, DateTimeOffset now)
    {
        var claims = new List<Claim> { new(DisputeClaims.Subject, professionalId), new(DisputeClaims.Agency, agencyId) };
        claims.AddRange(roles.Select(role => new Claim(DisputeClaims.Roles, role)));
        return new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Issuer = auth.Issuer,
            Audience = auth.Audience,
            Subject = new ClaimsIdentity(claims),
            IssuedAt = now.UtcDateTime,
            NotBefore = now.UtcDateTime,
            Expires = (now + lifetime).UtcDateTime,
            SigningCredentials = new SigningCredentials(KeyFrom(auth.SigningKey), SecurityAlgorithms.HmacSha256),
        });
    }
}
