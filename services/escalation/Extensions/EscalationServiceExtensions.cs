using Disputes.Escalation.Domain;
using Disputes.Escalation.Events;
using Disputes.Escalation.Grpc;
using Disputes.Escalation.Storage;
using Disputes.EventBus;
using Disputes.ServiceDefaults.Grpc;
using Disputes.V1.Events;

namespace Disputes.Escalation.Extensions;

public static class EscalationServiceExtensions
{
    public static WebApplicationBuilder AddEscalationServices(this WebApplicationBuilder builder)
    {
        builder.Services.AddSingleton(WorkingDayCalendar.EnglandAndWales);
        builder.Services.AddSingleton<EscalationPlanner>();
        builder.Services.AddSingleton<EscalationStore>();
        builder.Services.AddEventHandler<ChallengeRaised, ChallengeRaisedHandler>();
        return builder;
    }

    public static WebApplication MapEscalationApi(this WebApplication app)
    {
        app.MapDisputesGrpcService<EscalationGrpcService>();
        return app;
    }
}
