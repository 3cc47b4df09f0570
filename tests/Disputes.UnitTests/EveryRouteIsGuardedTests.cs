using Disputes.Gateway.Extensions;
using Disputes.ServiceDefaults.Identity;
using Yarp.ReverseProxy.Configuration;

namespace Disputes.UnitTests;

public sealed class EveryRouteIsGuardedTests
{
    [Fact]
    public async Task A_route_without_policies_gets_the_caller_policy_and_the_per_professional_limit()
    {
        var route = await new EveryRouteIsGuarded().ConfigureRouteAsync(
            new RouteConfig { RouteId = "new", ClusterId = "c" }, null, CancellationToken.None);
        Assert.Equal(AuthenticationExtensions.CallerPolicy, route.AuthorizationPolicy);
        Assert.Equal(GatewayExtensions.PerCallerPolicy, route.RateLimiterPolicy);
    }

    [Fact]
    public async Task An_explicit_policy_is_kept()
    {
        var route = await new EveryRouteIsGuarded().ConfigureRouteAsync(
            new RouteConfig { RouteId = "health", ClusterId = "c", AuthorizationPolicy = "anonymous", RateLimiterPolicy = "other" },
            null, CancellationToken.None);
        Assert.Equal("anonymous", route.AuthorizationPolicy);
        Assert.Equal("other", route.RateLimiterPolicy);
    }
}
