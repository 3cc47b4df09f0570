using Disputes.Notification.Storage;
using Disputes.ServiceDefaults.Grpc;
using Disputes.ServiceDefaults.Identity;
using Disputes.ServiceDefaults.Telemetry;
using Disputes.V1;
using Grpc.Core;

namespace Disputes.Notification.Grpc;

public sealed class NotificationGrpcService(DeliveryStore store, DisputePartiesStore parties) : NotificationService.NotificationServiceBase
{
    public override async Task<ListDeliveriesResponse> ListDeliveries(ListDeliveriesRequest request, ServerCallContext context)
    {
        var id = ResourceNames.ParseChallenge(request.Parent, "parent");
        DisputeTelemetry.TagDispute(id);
        var pageSize = PageTokens.SizeOf(request.PageSize);
        var after = PageTokens.Decode(request.PageToken);

        await parties.RequireViewAsync(id, request.Parent, context.GetCaller());

        var remaining = (await store.ListAsync(id))
            .Where(d => after is null || string.CompareOrdinal(d.Name, after) > 0)
            .ToArray();
        var page = remaining.Take(pageSize).ToArray();
        var response = new ListDeliveriesResponse { Deliveries = { page } };
        if (remaining.Length > page.Length)
            response.NextPageToken = PageTokens.Encode(page[^1].Name);
        return response;
    }
}
