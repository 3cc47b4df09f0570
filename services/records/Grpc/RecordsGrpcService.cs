using System.Globalization;
using Disputes.Records.Domain;
using Disputes.Records.Storage;
using Disputes.ServiceDefaults.Grpc;
using Disputes.ServiceDefaults.Identity;
using Disputes.ServiceDefaults.Telemetry;
using Disputes.V1;
using Grpc.Core;

namespace Disputes.Records.Grpc;

public sealed class RecordsGrpcService(RecordStore store, DisputePartiesStore parties) : RecordsService.RecordsServiceBase
{
    public override async Task<ListRecordEntriesResponse> ListRecordEntries(ListRecordEntriesRequest request, ServerCallContext context)
    {
        var id = ResourceNames.ParseChallenge(request.Parent, "parent");
        DisputeTelemetry.TagDispute(id);
        var pageSize = PageTokens.SizeOf(request.PageSize);
        var skip = PageTokens.Decode(request.PageToken) is { } token
            ? long.TryParse(token, NumberStyles.None, CultureInfo.InvariantCulture, out var position) ? position
                : throw RpcErrors.InvalidArgument("page_token", "is not a page token this API returned")
            : 0;

        var view = await parties.RequireViewAsync(id, request.Parent, context.GetCaller());
        var entries = await store.ListAsync(id, skip, pageSize + 1);
        var response = new ListRecordEntriesResponse();
        response.Entries.AddRange(entries.Take(pageSize).Select(e => view == DisputeView.Full ? e : RecordEntries.ForSupport(e)));
        if (entries.Count > pageSize)
            response.NextPageToken = PageTokens.Encode((skip + pageSize).ToString(CultureInfo.InvariantCulture));
        return response;
    }

    public override async Task<VerifyRecordResponse> VerifyRecord(VerifyRecordRequest request, ServerCallContext context)
    {
        var id = ResourceNames.ParseChallenge(request.Parent, "parent");
        DisputeTelemetry.TagDispute(id);
        await parties.RequireViewAsync(id, request.Parent, context.GetCaller());
        var entries = await store.ListAsync(id);
        var broken = RecordChain.FirstBroken(entries);
        return new VerifyRecordResponse
        {
            Intact = broken is null,
            EntriesChecked = entries.Count,
            FirstBrokenEntry = broken?.Name ?? "",
        };
    }
}
