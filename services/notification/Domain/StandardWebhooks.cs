using System.Security.Cryptography;
using System.Text;

namespace Disputes.Notification.Domain;

/// <summary>
/// Signing as the Standard Webhooks specification says, so receivers verify with its published
/// libraries: the secret is <c>whsec_</c> + base64 of random bytes; the signature is
/// <c>v1,</c> + base64 HMAC-SHA256, keyed with the decoded secret, over <c>{id}.{timestamp}.{body}</c>.
/// </summary>
public static class StandardWebhooks
{
    public const string IdHeader = "webhook-id";
    public const string TimestampHeader = "webhook-timestamp";
    public const string SignatureHeader = "webhook-signature";
    public const string SecretPrefix = "whsec_";

    public static string NewSecret() => SecretPrefix + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));

    public static byte[] KeyOf(string secret) =>
        Convert.FromBase64String(secret.StartsWith(SecretPrefix, StringComparison.Ordinal) ? secret[SecretPrefix.Length..] : secret);

    /// <summary>A short name for the secret that says nothing of it: the first bytes of its SHA-256.</summary>
    public static string IdOf(string secret) =>
        "whsec-" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(secret)).AsSpan(0, 8));

    public static string Sign(string secret, string id, long timestamp, ReadOnlySpan<byte> body)
    {
        var prefix = Encoding.UTF8.GetBytes($"{id}.{timestamp}.");
        var content = new byte[prefix.Length + body.Length];
        prefix.CopyTo(content, 0);
        body.CopyTo(content.AsSpan(prefix.Length));
        return "v1," + Convert.ToBase64String(HMACSHA256.HashData(KeyOf(secret), content));
    }
}
