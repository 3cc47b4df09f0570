using ServiceDescriptor = Google.Protobuf.Reflection.ServiceDescriptor;
using Disputes.V1;

namespace Disputes.Gateway.Health;

/// <summary>The gRPC services the gateway stands in front of: what its health and reflection services describe.</summary>
public static class ProxiedServices
{
    public static IReadOnlyList<ServiceDescriptor> Descriptors { get; } =
    [
        ChallengeService.Descriptor,
        EscalationService.Descriptor,
        NotificationService.Descriptor,
        RecordsService.Descriptor,
    ];

    public static IReadOnlyList<string> Names { get; } = Descriptors.Select(d => d.FullName).ToList();
}
