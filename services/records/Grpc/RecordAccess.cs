using Disputes.Procedure;
using Disputes.Records.Domain;
using Disputes.Records.Storage;
using Disputes.ServiceDefaults.Grpc;
using Disputes.ServiceDefaults.Identity;

namespace Disputes.Records.Grpc;

/// <summary>
/// Who may read a dispute's record: the one permission table, given the parties this service
/// learnt from the raise and the facts its record keeps (the child's local authority and named
/// IRO, the appointed chair).
/// </summary>
public sealed class RecordAccess(DisputePartiesStore parties, RecordStore store)
{
    /// <summary>NOT_FOUND while the raise has not reached the record; PERMISSION_DENIED for a caller with no view.</summary>
    public async Task<(DisputeView View, DisputeRecord? Record)> RequireViewAsync(string challengeId, string resourceName, Caller caller)
    {
        var known = await parties.GetAsync(challengeId) ?? throw RpcErrors.NotFound(resourceName);
        var record = await store.GetStateAsync(challengeId);
        var composed = record is null ? known : known with
        {
            Appointed = AppointedProfessional.Of(record.LocalAuthorityId, record.IroProfessionalId, record.ChairAgencyId, record.ChairProfessionalId),
            LocalAuthorityId = record.LocalAuthorityId,
        };
        var view = DisputeAccess.ViewFor(caller, composed);
        return view == DisputeView.None
            ? throw RpcErrors.PermissionDenied($"The caller's agency is not a party to {resourceName}.")
            : (view, record);
    }
}
