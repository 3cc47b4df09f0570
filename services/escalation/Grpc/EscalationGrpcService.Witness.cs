using Disputes.Escalation.Witness;
using Disputes.Procedure;
using Disputes.ServiceDefaults.Grpc;
using Disputes.ServiceDefaults.Identity;
using Disputes.V1;
using Grpc.Core;

namespace Disputes.Escalation.Grpc;

public sealed partial class EscalationGrpcService
{
    /// <summary>The latest record head witnessed for a challenge: for the records service's VerifyRecord.</summary>
    public override async Task<RecordWitness> GetRecordWitness(GetRecordWitnessRequest request, ServerCallContext context)
    {
        // Who may ask comes first, so a caller who may not learns nothing, not even whether a witness exists.
        if (!RecordWitnesses.MayRead(context.GetCaller()))
            throw RpcErrors.PermissionDenied("Only the records service, the partnership and support read a record's witness.");
        var id = ResourceNames.ParseChallenge(request.Name, "name", RecordWitnesses.Suffix);
        DisputeTelemetry.TagDispute(id);
        return await witnesses.GetAsync(id) ?? throw RpcErrors.NotFound(request.Name);
    }
}
