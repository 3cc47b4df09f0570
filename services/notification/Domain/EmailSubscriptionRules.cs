using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Disputes.ServiceDefaults.Grpc;
using Disputes.V1;
using Google.Protobuf;
using MimeKit;

namespace Disputes.Notification.Domain;

/// <summary>
/// What an email subscription may hold: one bare address that MimeKit parses strictly and
/// that reads back exactly as sent (no display name, comment, route, group or second
/// address hidden in it), a display name that cannot pass for an address or reorder the text
/// around it, and notices the recipients table sends.
/// </summary>
public static class EmailSubscriptionRules
{
    /// <summary>RFC 5321: a forward path is at most 256 octets, its angle brackets included.</summary>
    public const int MaxAddressLength = 254;
    public const int MaxLocalPartLength = 64;
    public const int MaxDisplayNameLength = 100;
    public const int MaxRequestIdLength = 128;

    private static readonly ParserOptions Strict = new()
    {
        AddressParserComplianceMode = RfcComplianceMode.Strict,
        AllowAddressesWithoutDomain = false,
        AllowUnquotedCommasInAddresses = false,
        Rfc2047ComplianceMode = RfcComplianceMode.Strict,
    };

    /// <summary>Characters a display name may not carry: address syntax, so it cannot pass for (or break out of) an address.</summary>
    private const string AddressSyntax = "@<>\",;:\\[]()";

    public static FieldViolations Check(CreateEmailSubscriptionRequest request)
    {
        var violations = new FieldViolations().Optional("request_id", request.RequestId, MaxRequestIdLength);
        if (request.Subscription is not { } subscription)
            return violations.Add("subscription", "is required");
        if (ProblemWithAddress(subscription.Address) is { } address)
            violations.Add("subscription.address", address);
        if (ProblemWithDisplayName(subscription.DisplayName) is { } displayName)
            violations.Add("subscription.display_name", displayName);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < subscription.Notices.Count; i++)
        {
            var notice = subscription.Notices[i];
            if (!RecipientsTable.Notices.Contains(notice))
                violations.Add($"subscription.notices[{i}]", "is not a notice this service sends");
            else if (!seen.Add(notice))
                violations.Add($"subscription.notices[{i}]", "is listed twice");
        }
        return violations;
    }

    public static string? ProblemWithAddress(string? address)
    {
        if (string.IsNullOrEmpty(address))
            return "is required";
        if (address.Length > MaxAddressLength)
            return $"must be at most {MaxAddressLength} characters";
        if (address.Any(c => char.IsWhiteSpace(c) || char.IsControl(c) || CharUnicodeInfo.GetUnicodeCategory(c) == UnicodeCategory.Format))
            return "must be one bare address, without spaces or control characters";
        if (address.Count(c => c == '@') != 1)
            return "must be one address of the form local-part@domain";
        if (!MailboxAddress.TryParse(Strict, address, out var mailbox))
            return "is not an email address";
        // Whatever parsed must be exactly what was sent: no display name, comment, route or brackets.
        if (!string.IsNullOrEmpty(mailbox.Name) || mailbox.Route.Count > 0 || !string.Equals(mailbox.Address, address, StringComparison.Ordinal))
            return "must be the address alone; put the name in display_name";
        var at = address.IndexOf('@');
        if (at > MaxLocalPartLength)
            return $"must have a local part of at most {MaxLocalPartLength} characters";
        if (Uri.CheckHostName(address[(at + 1)..]) != UriHostNameType.Dns || !address[(at + 1)..].Contains('.'))
            return "must have a domain name, such as agency.example.org";
        return null;
    }

    public static string? ProblemWithDisplayName(string? displayName)
    {
        if (string.IsNullOrEmpty(displayName))
            return null;
        if (displayName.Length > MaxDisplayNameLength)
            return $"must be at most {MaxDisplayNameLength} characters";
        if (displayName.Any(c => char.IsControl(c) || CharUnicodeInfo.GetUnicodeCategory(c) == UnicodeCategory.Format))
            return "must not contain control or formatting characters";
        if (displayName.Any(c => AddressSyntax.Contains(c)))
            return "must be a plain name, without address characters (@ < > \" , ; : \\ [ ] ( ))";
        if (displayName.Trim().Length != displayName.Length)
            return "must not start or end with spaces";
        return null;
    }

    /// <summary>The key that makes an address unique within an agency: mail systems treat addresses case-insensitively.</summary>
    public static string UniquenessKey(string address) => address.ToLowerInvariant();

    /// <summary>What a create asked for (the fields a caller sets), so a retry can be told from a different request.</summary>
    public static string Fingerprint(string parent, EmailSubscription requested)
    {
        var canonical = new EmailSubscription { Address = requested.Address, DisplayName = requested.DisplayName, Notices = { requested.Notices } };
        return Hash(Encoding.UTF8.GetBytes(parent + "\n"), canonical.ToByteArray());
    }

    /// <summary>A subscription never changes once created, so its etag is a digest of what it holds.</summary>
    public static string Etag(EmailSubscription subscription)
    {
        var content = subscription.Clone();
        content.Etag = "";
        return $"\"{Hash(content.ToByteArray())[..16]}\"";
    }

    private static string Hash(params byte[][] parts)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var part in parts)
            sha.AppendData(part);
        return Convert.ToHexStringLower(sha.GetHashAndReset());
    }
}
