using System.Text;

namespace Disputes.ServiceDefaults.Grpc;

/// <summary>Opaque page tokens: the position after the last item returned.</summary>
public static class PageTokens
{
    public const int DefaultPageSize = 25;
    public const int MaxPageSize = 100;

    public static int SizeOf(int requested, string field = "page_size") => requested switch
    {
        < 0 => throw RpcErrors.InvalidArgument(field, "must not be negative"),
        0 => DefaultPageSize,
        _ => Math.Min(requested, MaxPageSize),
    };

    public static string Encode(string position) =>
        Convert.ToBase64String(Encoding.UTF8.GetBytes(position)).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    public static string? Decode(string? token, string field = "page_token")
    {
        if (string.IsNullOrEmpty(token))
            return null;
        try
        {
            var base64 = token.Replace('-', '+').Replace('_', '/');
            base64 = base64.PadRight(base64.Length + (4 - base64.Length % 4) % 4, '=');
            return Encoding.UTF8.GetString(Convert.FromBase64String(base64));
        }
        catch (FormatException)
        {
            throw RpcErrors.InvalidArgument(field, "is not a page token this API returned");
        }
    }
}
