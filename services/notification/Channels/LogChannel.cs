using Disputes.V1;

namespace Disputes.Notification.Channels;

/// <summary>The structured delivery log: every notice is written here, whatever other channels carry it.</summary>
public sealed partial class LogChannel(ILogger<LogChannel> logger) : INotificationChannel
{
    public Channel Channel => Channel.Log;

    public Task DeliverAsync(Delivery delivery, CancellationToken cancellationToken)
    {
        LogDelivered(delivery.Name, delivery.Notice, delivery.RecipientRole, delivery.Recipient.AgencyId, delivery.Recipient.ProfessionalId, delivery.Message);
        return Task.CompletedTask;
    }

    [LoggerMessage(LogLevel.Information, "Delivered {Delivery} ({Notice}) to the {Role} {Agency}/{Professional}: {Message}")]
    private partial void LogDelivered(string delivery, string notice, RecipientRole role, string agency, string professional, string message);
}
