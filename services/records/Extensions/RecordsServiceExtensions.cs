using Disputes.EventBus;
using Disputes.Records.Events;
using Disputes.Records.Grpc;
using Disputes.Records.Storage;
using Disputes.ServiceDefaults.Grpc;
using Disputes.ServiceDefaults.Identity;
using Disputes.V1.Events;
using StackExchange.Redis;

namespace Disputes.Records.Extensions;

public static class RecordsServiceExtensions
{
    public static WebApplicationBuilder AddRecordsServices(this WebApplicationBuilder builder)
    {
        builder.Services.AddSingleton<RecordStore>();
        builder.Services.AddSingleton(sp => new DisputePartiesStore(sp.GetRequiredService<IConnectionMultiplexer>(), RecordStore.Prefix));
        builder.Services.AddEventHandler<ChallengeRaised, ChallengeRaisedHandler>();
        return builder;
    }

    public static WebApplication MapRecordsApi(this WebApplication app)
    {
        app.MapDisputesGrpcService<RecordsGrpcService>();
        return app;
    }
}
