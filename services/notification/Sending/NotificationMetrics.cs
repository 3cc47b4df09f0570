using System.Diagnostics;
using System.Diagnostics.Metrics;
using Disputes.V1;

namespace Disputes.Notification.Sending;

/// <summary>Deliveries by channel and outcome, on a meter the suite's OpenTelemetry setup exports (Disputes.*).</summary>
public static class NotificationMetrics
{
    public const string MeterName = "Disputes.Notification";

    private static readonly Meter Meter = new(MeterName);

    private static readonly Counter<long> Deliveries = Meter.CreateCounter<long>(
        "disputes.notification.deliveries", "{delivery}", "Deliveries that reached their outcome (delivered or failed), by channel.");

    public static void Delivery(Channel channel, DeliveryStatus status) =>
        Deliveries.Add(1, new TagList { { "disputes.delivery.channel", ChannelName(channel) }, { "disputes.delivery.status", StatusName(status) } });

    private static string ChannelName(Channel channel) => channel switch
    {
        Channel.Log => "log",
        Channel.Stream => "stream",
        Channel.Webhook => "webhook",
        Channel.Email => "email",
        _ => "unspecified",
    };

    private static string StatusName(DeliveryStatus status) => status switch
    {
        DeliveryStatus.Delivered => "delivered",
        DeliveryStatus.Failed => "failed",
        DeliveryStatus.Pending => "pending",
        _ => "unspecified",
    };
}
