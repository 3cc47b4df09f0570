using System.Net;
using Disputes.Gateway.Extensions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Disputes.UnitTests;

/// <summary>Whose X-Forwarded-For the gateway believes: only the configured ingress proxies', never a caller's.</summary>
public sealed class TrustedForwardedHeadersTests
{
    [Theory]
    [InlineData("127.0.0.1", "127.0.0.1")]
    [InlineData("::1", "::1")]
    [InlineData("10.1.2.3", "10.1.2.3")]
    public async Task With_no_ingress_configured_the_connection_address_counts(string connection, string expected) =>
        Assert.Equal(IPAddress.Parse(expected), await ClientAddressAsync([], connection, "203.0.113.9"));

    [Theory]
    [InlineData("10.1.2.3", "203.0.113.9, 198.51.100.7", "198.51.100.7")]
    [InlineData("192.168.1.1", "203.0.113.9", "192.168.1.1")]
    [InlineData("127.0.0.1", "203.0.113.9", "127.0.0.1")]
    [InlineData("172.16.0.5", "203.0.113.9", "203.0.113.9")]
    public async Task Only_a_configured_ingress_names_the_client(string connection, string forwardedFor, string expected) =>
        Assert.Equal(IPAddress.Parse(expected), await ClientAddressAsync(
            new()
            {
                ["Gateway:ForwardedHeaders:KnownNetworks:0"] = "10.0.0.0/8",
                ["Gateway:ForwardedHeaders:KnownProxies:0"] = "172.16.0.5",
            },
            connection, forwardedFor));

    private static async Task<IPAddress?> ClientAddressAsync(Dictionary<string, string?> settings, string connection, string forwardedFor)
    {
        var builder = WebApplication.CreateBuilder();
        builder.Configuration.AddInMemoryCollection(settings);
        builder.AddTrustedForwardedHeaders();
        await using var services = builder.Services.BuildServiceProvider();
        var context = new DefaultHttpContext();
        context.Connection.RemoteIpAddress = IPAddress.Parse(connection);
        context.Request.Headers["X-Forwarded-For"] = forwardedFor;
        var middleware = new ForwardedHeadersMiddleware(_ => Task.CompletedTask, NullLoggerFactory.Instance,
            services.GetRequiredService<IOptions<ForwardedHeadersOptions>>());
        await middleware.Invoke(context);
        return context.Connection.RemoteIpAddress;
    }
}
