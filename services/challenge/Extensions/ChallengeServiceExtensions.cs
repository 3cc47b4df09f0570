using Disputes.Challenge.Commands;
using Disputes.Challenge.Events;
using Disputes.Challenge.Grpc;
using Disputes.Challenge.Storage;
using Disputes.EventBus;
using Disputes.EventBus.Hosting;
using Disputes.Procedure;
using Disputes.ServiceDefaults.Grpc;
using Disputes.V1.Events;

namespace Disputes.Challenge.Extensions;

public static class ChallengeServiceExtensions
{
    public static WebApplicationBuilder AddChallengeServices(this WebApplicationBuilder builder)
    {
        // The transport comes from configuration; the events are those of events.proto.
        builder.AddEventBus(IntegrationEvents.Catalog);
        builder.Services.AddOptions<ChallengeStoreOptions>()
            .Bind(builder.Configuration.GetSection(ChallengeStoreOptions.SectionName))
            .Validate(o => o.RequestIdRetention >= TimeSpan.FromMinutes(1), "Challenge:Storage:RequestIdRetention must be at least a minute.")
            .ValidateOnStart();
        builder.Services.AddSingleton<ChallengeStore>();
        builder.Services.AddSingleton<ChallengeCommandHandler>();
        builder.Services.AddSingleton<ChallengeQueries>();
        builder.Services.AddSingleton<ChallengeUpdates>();
        builder.Services.AddEventHandler<IndependentChairAppointed, IndependentChairAppointedHandler>();
        builder.Services.AddEventHandler<AutoEscalationDue, AutoEscalationDueHandler>();
        builder.Services.AddEventHandler<TimescaleMissed, TimescaleMissedHandler>();
        return builder;
    }

    public static WebApplication MapChallengeApi(this WebApplication app)
    {
        app.MapDisputesGrpcService<ChallengeGrpcService>();
        return app;
    }
}
