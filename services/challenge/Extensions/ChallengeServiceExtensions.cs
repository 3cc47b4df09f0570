using Disputes.Challenge.Grpc;
using Disputes.Challenge.Storage;
using Disputes.ServiceDefaults.Grpc;

namespace Disputes.Challenge.Extensions;

public static class ChallengeServiceExtensions
{
    public static WebApplicationBuilder AddChallengeServices(this WebApplicationBuilder builder)
    {
        builder.Services.AddSingleton<ChallengeStore>();
        return builder;
    }

    public static WebApplication MapChallengeApi(this WebApplication app)
    {
        app.MapDisputesGrpcService<ChallengeGrpcService>();
        return app;
    }
}
