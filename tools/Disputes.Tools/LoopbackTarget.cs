using System.Net;

namespace Disputes.Tools;

/// <summary>The load command only ever sends traffic to this machine: a target must be a loopback h2c address.</summary>
public static class LoopbackTarget
{
    public static bool TryParse(string text, out Uri uri, out string error)
    {
        uri = null!;
        if (!Uri.TryCreate(text, UriKind.Absolute, out var parsed) || parsed.Scheme != Uri.UriSchemeHttp)
        {
            error = $"'{text}' is not an http:// address (the suite speaks h2c, e.g. http://127.0.0.1:8080).";
            return false;
        }
        if (parsed.AbsolutePath != "/" || parsed.Query.Length > 0)
        {
            error = $"'{text}' has a path; give only scheme, host and port.";
            return false;
        }
        var loopback = parsed.IsLoopback || (IPAddress.TryParse(parsed.Host.Trim('[', ']'), out var address) && IPAddress.IsLoopback(address));
        if (!loopback)
        {
            error = $"'{text}' is not a loopback address; load is only sent to this machine (127.0.0.1, [::1] or localhost).";
            return false;
        }
        uri = parsed;
        error = "";
        return true;
    }
}
