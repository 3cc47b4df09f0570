using Disputes.Escalation.Domain;
using Disputes.Escalation.Storage;
using Disputes.ServiceDefaults.Grpc;
using Disputes.ServiceDefaults.Identity;
using Disputes.ServiceDefaults.Telemetry;
using Disputes.V1;
using Grpc.Core;

namespace Disputes.Escalation.Grpc;

public sealed class EscalationGrpcService(EscalationStore store) : EscalationService.EscalationServiceBase
{
    public override async Task<V1.Escalation> GetEscalation(GetEscalationRequest request, ServerCallContext context)
    {
        var id = ResourceNames.ParseChallenge(request.Name, "name", "/escalation");
        DisputeTelemetry.TagDispute(id);
        // Not found also while the raised event is on its way: the caller retries.
        var escalation = await store.GetAsync(id) ?? throw RpcErrors.NotFound(request.Name);
        var parties = new DisputeParties(AgencyOf(escalation, Responsibility.Referrer), AgencyOf(escalation, Responsibility.ReceivingProfessional));
        return DisputeAccess.ViewFor(context.GetCaller(), parties) == DisputeView.None
            ? throw RpcErrors.PermissionDenied($"The caller's agency is not a party to {request.Name}.")
            : escalation;
    }

    private static string AgencyOf(V1.Escalation escalation, Responsibility responsibility) =>
        escalation.ResponsibleParties.FirstOrDefault(p => p.Responsibility == responsibility)?.Party?.AgencyId ?? "";
}
