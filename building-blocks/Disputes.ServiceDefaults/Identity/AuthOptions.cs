namespace Disputes.ServiceDefaults.Identity;

/// <summary>The <c>Auth</c> section: an OIDC authority in production, a development signing key locally.</summary>
public sealed class AuthOptions
{
    public const string SectionName = "Auth";

    public string Issuer { get; set; } = "disputes-dev";

    public string Audience { get; set; } = "disputes";

    /// <summary>Base64 HS256 key for development tokens. Never set in production.</summary>
    public string SigningKey { get; set; } = "";

    /// <summary>The agencies' identity provider; its discovery document gives the signing keys.</summary>
    public string Authority { get; set; } = "";

    /// <summary>How many validated tokens each process keeps (each until its expiry), so a token is validated once, not per call.</summary>
    public int ValidatedTokenCacheSize { get; set; } = ValidatedTokenCache.DefaultSizeLimit;
}
