using Disputes.EventBus;
using Disputes.Notification.Channels;
using Disputes.Notification.Storage;
using Disputes.V1;
using Google.Protobuf.WellKnownTypes;

namespace Disputes.Notification.Domain;

/// <summary>Delivers notices over every channel and logs each delivery exactly once.</summary>
public sealed class Notifier(DeliveryStore store, IEnumerable<INotificationChannel> channels, TimeProvider timeProvider)
{
    public async Task NotifyAsync(string challengeId, IReadOnlyList<Notice> notices, EventContext context, CancellationToken cancellationToken)
    {
        for (var i = 0; i < notices.Count; i++)
        {
            var notice = notices[i];
            // Event id + position in the table: the same notice of a redelivered event gets the same id.
            var deliveryId = $"{context.EventId}-{i + 1:00}";
            if (await store.ExistsAsync(challengeId, deliveryId))
                continue;

            foreach (var channel in channels)
            {
                var delivery = new Delivery
                {
                    Name = $"challenges/{challengeId}/deliveries/{deliveryId}",
                    Recipient = notice.Recipient,
                    RecipientRole = notice.Role,
                    Channel = channel.Channel,
                    Notice = notice.Name,
                    Message = notice.Message,
                    Status = DeliveryStatus.Delivered,
                    Attempts = 1,
                    CreateTime = Timestamp.FromDateTimeOffset(timeProvider.GetUtcNow()),
                    EventId = context.EventId,
                    TraceId = context.TraceId ?? "",
                };
                await channel.DeliverAsync(delivery, cancellationToken);
                delivery.DeliverTime = Timestamp.FromDateTimeOffset(timeProvider.GetUtcNow());
                await store.AddAsync(challengeId, deliveryId, delivery);
            }
        }
    }
}
