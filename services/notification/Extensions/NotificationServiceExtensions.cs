using Disputes.EventBus;
using Disputes.EventBus.Hosting;
using Disputes.Notification.Channels;
using Disputes.Notification.Events;
using Disputes.Notification.Grpc;
using Disputes.Notification.Sending;
using Disputes.Notification.Storage;
using Disputes.Procedure;
using Disputes.ServiceDefaults.Grpc;
using Disputes.V1.Events;
using Microsoft.Extensions.Options;

namespace Disputes.Notification.Extensions;

public static class NotificationServiceExtensions
{
    public static WebApplicationBuilder AddNotificationServices(this WebApplicationBuilder builder)
    {
        // The transport comes from configuration; the events are those of events.proto.
        builder.AddEventBus(IntegrationEvents.Catalog);
        builder.Services.AddOptions<NotificationOptions>()
            // Loopback webhooks only when a local run says so (Notification:Webhooks:AllowLoopback), never by environment name alone.
            .Bind(builder.Configuration.GetSection(NotificationOptions.SectionName))
            .Validate(o => o.Sending.MaxAttempts > 0, "Notification:Sending:MaxAttempts must be positive")
            .Validate(o => o.Sending.SweepInterval > TimeSpan.Zero, "Notification:Sending:SweepInterval must be positive")
            .Validate(o => o.PartnershipAgencyId.Length > 0, "Notification:PartnershipAgencyId is required")
            .Validate(o => o.Email.MaxSubscriptionsPerAgency > 0, "Notification:Email:MaxSubscriptionsPerAgency must be positive")
            .ValidateOnStart();

        builder.Services.AddSingleton<DeliveryStore>();
        builder.Services.AddSingleton<DisputeFactsStore>();
        builder.Services.AddSingleton<WebhookSubscriptionStore>();
        builder.Services.AddSingleton<EmailSubscriptionStore>();
        builder.Services.AddSingleton<EmailSubscriptionsApi>();
        builder.Services.AddSingleton<ParkedEvents>();
        builder.Services.AddSingleton<DisputeFactsLookup>();
        builder.Services.AddSingleton<ParkedEventReplay>();
        builder.Services.AddSingleton<Notifier>();
        builder.AddDeliveryChannels();
        builder.AddNotificationHandlers();
        return builder;
    }

    /// <summary>Webhooks (over a client that connects only where the address policy allows) and email, sent from the queue.</summary>
    private static WebApplicationBuilder AddDeliveryChannels(this WebApplicationBuilder builder)
    {
        builder.Services.AddHttpClient(WebhookChannel.HttpClientName, client => client.Timeout = Timeout.InfiniteTimeSpan)
            .ConfigurePrimaryHttpMessageHandler(sp =>
                WebhookConnections.CreateHandler(sp.GetRequiredService<IOptions<NotificationOptions>>().Value.Webhooks.AllowLoopback));
        builder.Services.AddSingleton<IDeliveryChannel, WebhookChannel>();
        builder.Services.AddSingleton<IDeliveryChannel, EmailChannel>();
        builder.Services.AddSingleton<SendPipelines>();
        builder.Services.AddHostedService<DeliverySender>();
        return builder;
    }

    /// <summary>Every event the recipients table reads.</summary>
    private static WebApplicationBuilder AddNotificationHandlers(this WebApplicationBuilder builder)
    {
        builder.Services.AddEventHandler<ChallengeRaised, ChallengeRaisedHandler>();
        builder.Services.AddEventHandler<ChallengeAcknowledged, ChallengeAcknowledgedHandler>();
        builder.Services.AddEventHandler<DiscussionRecorded, DiscussionRecordedHandler>();
        builder.Services.AddEventHandler<ChallengeReviewed, ChallengeReviewedHandler>();
        builder.Services.AddEventHandler<ChallengeEscalated, ChallengeEscalatedHandler>();
        builder.Services.AddEventHandler<ChallengeResolved, ChallengeResolvedHandler>();
        builder.Services.AddEventHandler<ChallengeWithdrawn, ChallengeWithdrawnHandler>();
        builder.Services.AddEventHandler<ResponsiblePartiesRouted, ResponsiblePartiesRoutedHandler>();
        builder.Services.AddEventHandler<RoutingGapFound, RoutingGapFoundHandler>();
        builder.Services.AddEventHandler<IndependentChairAppointed, IndependentChairAppointedHandler>();
        builder.Services.AddEventHandler<TimescaleReminderDue, TimescaleReminderDueHandler>();
        builder.Services.AddEventHandler<TimescaleMissed, TimescaleMissedHandler>();
        builder.Services.AddEventHandler<MinutesRecorded, MinutesRecordedHandler>();
        return builder;
    }

    public static WebApplication MapNotificationApi(this WebApplication app)
    {
        app.MapDisputesGrpcService<NotificationGrpcService>();
        return app;
    }
}
