using System.Text;
using Disputes.Procedure;
using Disputes.ServiceDefaults.Identity;
using Grpc.Core;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Disputes.EndToEndTests;

/// <summary>Tokens an attacker or a misconfigured client presents, each of which the gateway must refuse.</summary>
public static class AbuseTokens
{
    public static IReadOnlyList<string> Kinds { get; } = ["no token", "expired", "alg none", "wrong signature", "wrong audience", "no subject"];

    /// <summary>Headers carrying the bad token of <paramref name="kind"/>, sent as from <paramref name="clientAddress"/>.</summary>
    public static Metadata Headers(SuiteFixture suite, string kind, string clientAddress)
    {
        var headers = new Metadata { { "x-forwarded-for", clientAddress } };
        if (Token(suite.Auth, kind) is { } token)
            headers.Add("authorization", "Bearer " + token);
        return headers;
    }

    public static string? Token(AuthOptions auth, string kind)
    {
        var now = DateTimeOffset.UtcNow;
        return kind switch
        {
            "no token" => null,
            "expired" => DevelopmentTokens.Mint(auth, "pc-abuse", "police", [DisputeRoles.Partnership], TimeSpan.FromMinutes(5), now.AddHours(-1)),
            "alg none" => Unsigned(auth, now),
            "wrong signature" => DevelopmentTokens.Mint(new AuthOptions { SigningKey = DevelopmentTokens.NewSigningKey() }, "pc-abuse", "police",
                [DisputeRoles.Partnership], TimeSpan.FromMinutes(5), now),
            "wrong audience" => DevelopmentTokens.Mint(new AuthOptions { SigningKey = auth.SigningKey, Issuer = auth.Issuer, Audience = "another-api" },
                "pc-abuse", "police", [DisputeRoles.Partnership], TimeSpan.FromMinutes(5), now),
            "no subject" => new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
            {
                Issuer = auth.Issuer,
                Audience = auth.Audience,
                Claims = new Dictionary<string, object> { ["agency"] = "police", ["roles"] = DisputeRoles.Partnership },
                Expires = now.AddMinutes(5).UtcDateTime,
                SigningCredentials = new SigningCredentials(DevelopmentTokens.KeyFrom(auth.SigningKey), SecurityAlgorithms.HmacSha256),
            }),
            _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, null),
        };
    }

    /// <summary>A token that claims everything and is signed by nothing.</summary>
    private static string Unsigned(AuthOptions auth, DateTimeOffset now)
    {
        static string Part(string json) => Base64UrlEncoder.Encode(Encoding.UTF8.GetBytes(json));
        return $"{Part("""{"alg":"none","typ":"JWT"}""")}." +
               $"{Part($$"""{"sub":"pc-abuse","agency":"police","roles":["partnership","support"],"iss":"{{auth.Issuer}}","aud":"{{auth.Audience}}","exp":{{now.AddMinutes(5).ToUnixTimeSeconds()}}}""")}.";
    }
}
