namespace Disputes.ServiceDefaults.Health;

/// <summary>
/// The service names the gRPC health service answers for Kubernetes' <c>grpc</c> probes, which
/// name one service each: liveness is the process alone, readiness every check (Redis, the outbox).
/// The overall name "" is readiness too, for load balancers and grpc_health_probe without -service.
/// </summary>
public static class GrpcHealthNames
{
    public const string Liveness = "liveness";
    public const string Readiness = "readiness";
}
