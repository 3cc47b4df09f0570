using Disputes.ServiceDefaults.Identity;
using Yarp.ReverseProxy.Configuration;

namespace Disputes.Gateway.Extensions;

/// <summary>
/// A route that names no authorization or rate limiter policy gets the caller policy and the
/// per-professional limit, so a route added to configuration later is never open by omission.
/// Only an explicit policy (for example "anonymous") overrides them.
/// </summary>
public sealed class EveryRouteIsGuarded : IProxyConfigFilter
{
    public ValueTask<ClusterConfig> ConfigureClusterAsync(ClusterConfig cluster, CancellationToken cancel) => new(cluster);

    public ValueTask<RouteConfig> ConfigureRouteAsync(RouteConfig route, ClusterConfig? cluster, CancellationToken cancel) => new(route with
    {
        AuthorizationPolicy = string.IsNullOrEmpty(route.AuthorizationPolicy) ? AuthenticationExtensions.CallerPolicy : route.AuthorizationPolicy,
        RateLimiterPolicy = string.IsNullOrEmpty(route.RateLimiterPolicy) ? GatewayExtensions.PerCallerPolicy : route.RateLimiterPolicy,
    });
}
