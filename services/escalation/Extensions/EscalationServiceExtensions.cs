using Disputes.EventBus.Hosting;
using Disputes.Procedure;
using Disputes.WorkingDays;
using Disputes.Escalation.Application;
using Disputes.Escalation.Directory;
using Disputes.Escalation.Domain;
using Disputes.Escalation.Events;
using Disputes.Escalation.Grpc;
using Disputes.Escalation.Storage;
using Disputes.Escalation.Timers;
using Disputes.EventBus;
using Disputes.ServiceDefaults.Grpc;
using Disputes.V1.Events;

namespace Disputes.Escalation.Extensions;

public static class EscalationServiceExtensions
{
    public static WebApplicationBuilder AddEscalationServices(this WebApplicationBuilder builder)
    {
        // The transport comes from configuration; the events are those of events.proto.
        builder.AddEventBus(IntegrationEvents.Catalog);
        builder.Services.AddOptions<EscalationOptions>().Bind(builder.Configuration.GetSection(EscalationOptions.SectionName))
            .Validate(o => o.TimerPollInterval > TimeSpan.Zero && o.TimerBatchSize > 0, "Escalation:TimerPollInterval and TimerBatchSize must be positive")
            .ValidateOnStart();
        builder.Services.AddSingleton(WorkingDayCalendar.EnglandAndWales);
        builder.Services.AddSingleton<EscalationLifecycle>();
        builder.Services.AddSingleton<EscalationTimers>();
        builder.Services.AddSingleton<EscalationStore>();
        builder.Services.AddSingleton<DirectoryStore>();
        builder.Services.AddSingleton<PolicyStore>();
        builder.Services.AddSingleton<ChairRotation>();
        builder.Services.AddSingleton<PolicyCatalog>();
        builder.Services.AddSingleton<TimerSignal>();
        builder.Services.AddSingleton<EscalationWriter>();
        builder.Services.AddSingleton<RecordWitnessStore>();
        builder.Services.AddSingleton<DirectoryCommands>();
        builder.Services.AddSingleton<DirectoryLoader>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<DirectoryLoader>());
        builder.Services.AddHostedService<TimerPoller>();

        builder.Services.AddScoped<HeldEvents>();
        builder.Services.AddEventHandler<ChallengeRaised, ChallengeRaisedHandler>();
        builder.Services.AddEventHandler<ChallengeAcknowledged, ChallengeAcknowledgedHandler>();
        builder.Services.AddEventHandler<DiscussionRecorded, DiscussionRecordedHandler>();
        builder.Services.AddEventHandler<ChallengeReviewed, ChallengeReviewedHandler>();
        builder.Services.AddEventHandler<ChallengeEscalated, ChallengeEscalatedHandler>();
        builder.Services.AddEventHandler<ChallengeResolved, ChallengeResolvedHandler>();
        builder.Services.AddEventHandler<ChallengeWithdrawn, ChallengeWithdrawnHandler>();
        builder.Services.AddEventHandler<RecordHeadAdvanced, RecordHeadAdvancedHandler>();
        return builder;
    }

    public static WebApplication MapEscalationApi(this WebApplication app)
    {
        app.MapDisputesGrpcService<EscalationGrpcService>();
        return app;
    }
}
