namespace Disputes.Deploy.Tests.Infrastructure;

public static class Urls
{
    /// <summary>Host and port of "http://host:port[/...]" or "host:port".</summary>
    public static (string Host, int Port) HostAndPort(string value)
    {
        var text = value.Contains("://", StringComparison.Ordinal) ? value : "tcp://" + value;
        Assert.True(Uri.TryCreate(text, UriKind.Absolute, out var uri), $"'{value}' is not a host:port or URL.");
        Assert.True(uri.Port > 0, $"'{value}' has no port.");
        return (uri.Host, uri.Port);
    }
}
