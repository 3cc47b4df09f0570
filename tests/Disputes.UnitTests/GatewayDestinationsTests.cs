using Disputes.Gateway.Extensions;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Yarp.ReverseProxy.Configuration;
using Yarp.ReverseProxy.ServiceDiscovery;

namespace Disputes.UnitTests;

/// <summary>The gateway resolves each destination's host name to all its addresses, so every pod behind a headless Service is a destination.</summary>
public sealed class GatewayDestinationsTests
{
    [Fact]
    public async Task A_destination_host_name_becomes_one_destination_per_address_keeping_the_name_as_host()
    {
        await using var services = Gateway([]);
        var resolver = services.GetRequiredService<IDestinationResolver>();

        var resolved = await resolver.ResolveDestinationsAsync(
            new Dictionary<string, DestinationConfig> { ["primary"] = new() { Address = "http://localhost:5101" } }, CancellationToken.None);

        var loopback = Assert.Single(resolved.Destinations, d => d.Value.Address == "http://127.0.0.1:5101/");
        Assert.Equal("localhost:5101", loopback.Value.Host);
        // Resolved again when the refresh period ends, so a new pod joins.
        Assert.NotNull(resolved.ChangeToken);
    }

    [Fact]
    public async Task The_refresh_period_is_configurable_and_defaults_within_30_seconds()
    {
        await using var defaults = Gateway([]);
        Assert.InRange(defaults.GetRequiredService<IOptions<DnsDestinationResolverOptions>>().Value.RefreshPeriod!.Value,
            TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(30));

        await using var configured = Gateway(new() { ["Gateway:DnsDestinations:RefreshPeriod"] = "00:00:07" });
        Assert.Equal(TimeSpan.FromSeconds(7), configured.GetRequiredService<IOptions<DnsDestinationResolverOptions>>().Value.RefreshPeriod);
    }

    private static ServiceProvider Gateway(Dictionary<string, string?> settings)
    {
        var builder = WebApplication.CreateBuilder();
        builder.Configuration.AddInMemoryCollection(settings);
        builder.AddDisputesReverseProxy();
        return builder.Services.BuildServiceProvider();
    }
}
