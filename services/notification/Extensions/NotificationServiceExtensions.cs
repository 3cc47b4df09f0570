using Disputes.EventBus;
using Disputes.Notification.Channels;
using Disputes.Notification.Domain;
using Disputes.Notification.Events;
using Disputes.Notification.Grpc;
using Disputes.Notification.Storage;
using Disputes.ServiceDefaults.Grpc;
using Disputes.ServiceDefaults.Identity;
using Disputes.V1.Events;
using StackExchange.Redis;

namespace Disputes.Notification.Extensions;

public static class NotificationServiceExtensions
{
    public static WebApplicationBuilder AddNotificationServices(this WebApplicationBuilder builder)
    {
        builder.Services.AddSingleton<DeliveryStore>();
        builder.Services.AddSingleton(sp => new DisputePartiesStore(sp.GetRequiredService<IConnectionMultiplexer>(), DeliveryStore.Prefix));
        builder.Services.AddSingleton<INotificationChannel, LogChannel>();
        builder.Services.AddSingleton<Notifier>();
        builder.Services.AddEventHandler<ChallengeRaised, ChallengeRaisedHandler>();
        return builder;
    }

    public static WebApplication MapNotificationApi(this WebApplication app)
    {
        app.MapDisputesGrpcService<NotificationGrpcService>();
        return app;
    }
}
