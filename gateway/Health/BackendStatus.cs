using Yarp.ReverseProxy;
using Yarp.ReverseProxy.Model;
using static Grpc.Health.V1.HealthCheckResponse.Types;

namespace Disputes.Gateway.Health;

/// <summary>
/// What the gateway says of the backend behind one gRPC service: SERVING while at least one
/// destination of the cluster its route reaches is healthy, as YARP's own health checks see it
/// (so the answer matches where the gateway would send a call).
/// </summary>
public static class BackendStatus
{
    public static ServingStatus Of(IProxyStateLookup proxy, string service) => Of(ClusterOf(proxy, service));

    public static ServingStatus Of(ClusterState? cluster)
    {
        if (cluster?.Model is null)
            return ServingStatus.NotServing;
        var probed = cluster.Model.Config.HealthCheck?.Active?.Enabled == true;
        return cluster.Destinations.Values.Any(destination => IsHealthy(destination, probed)) ? ServingStatus.Serving : ServingStatus.NotServing;
    }

    /// <summary>The cluster of the route that matches the service's methods ("/{service}/{**method}").</summary>
    public static ClusterState? ClusterOf(IProxyStateLookup proxy, string service) =>
        proxy.GetRoutes().FirstOrDefault(route => route.Config.Match.Path?.StartsWith($"/{service}/", StringComparison.Ordinal) == true)?.Cluster;

    // With active checks a destination not yet probed is not known to be healthy; passive checks only ever take one out.
    private static bool IsHealthy(DestinationState destination, bool probed) =>
        destination.Health.Passive != DestinationHealth.Unhealthy
        && (probed ? destination.Health.Active == DestinationHealth.Healthy : destination.Health.Active != DestinationHealth.Unhealthy);
}
