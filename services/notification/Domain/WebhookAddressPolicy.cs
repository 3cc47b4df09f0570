using System.Net;
using System.Net.Sockets;

namespace Disputes.Notification.Domain;

/// <summary>
/// Where a webhook may be sent: public unicast addresses only, so a subscription cannot make
/// the suite call into its own network (SSRF). Checked on the address actually connected to,
/// after DNS resolution, so a name that resolves (or rebinds) to an inner address is refused.
/// Loopback is allowed only when configured (Development).
/// </summary>
public static class WebhookAddressPolicy
{
    private static readonly (IPAddress Network, int Prefix)[] Refused =
    [
        (IPAddress.Parse("0.0.0.0"), 8),
        (IPAddress.Parse("10.0.0.0"), 8),
        (IPAddress.Parse("100.64.0.0"), 10),
        (IPAddress.Parse("127.0.0.0"), 8),
        (IPAddress.Parse("169.254.0.0"), 16),
        (IPAddress.Parse("172.16.0.0"), 12),
        (IPAddress.Parse("192.0.0.0"), 24),
        (IPAddress.Parse("192.0.2.0"), 24),
        (IPAddress.Parse("192.168.0.0"), 16),
        (IPAddress.Parse("198.18.0.0"), 15),
        (IPAddress.Parse("198.51.100.0"), 24),
        (IPAddress.Parse("203.0.113.0"), 24),
        (IPAddress.Parse("224.0.0.0"), 4),
        (IPAddress.Parse("240.0.0.0"), 4),
        (IPAddress.Parse("::"), 128),
        (IPAddress.Parse("::1"), 128),
        (IPAddress.Parse("64:ff9b:1::"), 48),
        (IPAddress.Parse("100::"), 64),
        (IPAddress.Parse("2001:db8::"), 32),
        (IPAddress.Parse("fc00::"), 7),
        (IPAddress.Parse("fe80::"), 10),
        (IPAddress.Parse("fec0::"), 10),
        (IPAddress.Parse("ff00::"), 8),
    ];

    public static bool IsAllowed(IPAddress address, bool allowLoopback)
    {
        if (address.IsIPv4MappedToIPv6)
            address = address.MapToIPv4();
        if (IPAddress.IsLoopback(address))
            return allowLoopback;
        if (address.AddressFamily is not (AddressFamily.InterNetwork or AddressFamily.InterNetworkV6))
            return false;
        return !Refused.Any(r => r.Network.AddressFamily == address.AddressFamily && InNetwork(address, r.Network, r.Prefix));
    }

    /// <summary>
    /// Whether a subscription URL may be registered: absolute, no credentials in it, https; http
    /// only to a loopback host when loopback is allowed. A literal address must itself be allowed.
    /// </summary>
    public static string? ProblemWith(string? url, bool allowLoopback)
    {
        if (string.IsNullOrWhiteSpace(url))
            return "is required";
        if (url.Length > 2048)
            return "must be at most 2048 characters";
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Host.Length == 0)
            return "must be an absolute URL";
        if (uri.UserInfo.Length > 0)
            return "must not carry credentials";
        if (uri.Fragment.Length > 0)
            return "must not have a fragment";
        var loopbackHost = uri.IsLoopback;
        if (uri.Scheme == Uri.UriSchemeHttp)
        {
            if (!(allowLoopback && loopbackHost))
                return allowLoopback ? "must use https (http only to a loopback address)" : "must use https";
        }
        else if (uri.Scheme != Uri.UriSchemeHttps)
        {
            return "must use https";
        }
        if (IPAddress.TryParse(uri.DnsSafeHost, out var literal) && !IsAllowed(literal, allowLoopback))
            return "must not point at a loopback, private, link-local or reserved address";
        if (loopbackHost && !allowLoopback)
            return "must not point at a loopback address";
        return null;
    }

    private static bool InNetwork(IPAddress address, IPAddress network, int prefix)
    {
        var a = address.GetAddressBytes();
        var n = network.GetAddressBytes();
        var full = prefix / 8;
        for (var i = 0; i < full; i++)
        {
            if (a[i] != n[i])
                return false;
        }
        var rest = prefix % 8;
        if (rest == 0)
            return true;
        var mask = (byte)(0xFF << (8 - rest));
        return (a[full] & mask) == (n[full] & mask);
    }
}
