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
            foreach (var channel in channels)
            {
                // Event id, position in the table and channel: a redelivered event makes the same ids,
                // so what was delivered is skipped and only what was not is sent.
                var deliveryId = $"{context.EventId}-{i + 1:00}-{channel.Channel.ToString().ToLowerInvariant()}";
                if (await store.ExistsAsync(challengeId, deliveryId))
                    continue;

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
