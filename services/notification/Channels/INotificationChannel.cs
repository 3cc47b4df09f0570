using Disputes.V1;

namespace Disputes.Notification.Channels;

/// <summary>A way of telling a recipient. Deliveries carry their name, so a receiver can drop a repeat.</summary>
public interface INotificationChannel
{
    Channel Channel { get; }

    Task DeliverAsync(Delivery delivery, CancellationToken cancellationToken);
}
