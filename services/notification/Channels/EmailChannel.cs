using Disputes.Notification.Storage;
using Disputes.V1;
using MailKit.Net.Smtp;
using MailKit.Security;
using Microsoft.Extensions.Options;
using MimeKit;

namespace Disputes.Notification.Channels;

/// <summary>
/// Email over SMTP (MailKit) to the recipient agency's mailbox. The Message-ID is made from
/// the delivery id, so a resend after a crash is recognisably the same message.
/// </summary>
public sealed class EmailChannel(IOptions<NotificationOptions> options) : IDeliveryChannel
{
    public Channel Channel => Channel.Email;

    public Task<PreparedSend?> PrepareAsync(Delivery delivery, CancellationToken cancellationToken)
    {
        var email = options.Value.Email;
        if (email.Host.Length == 0 || !MailboxAddress.TryParse(delivery.Destination, out var to))
            return Task.FromResult<PreparedSend?>(null);
        var message = Build(delivery, to, email);
        return Task.FromResult<PreparedSend?>(new PreparedSend($"smtp:{email.Host}:{email.Port}", ct => SendAsync(message, email, ct)));
    }

    public static MimeMessage Build(Delivery delivery, MailboxAddress to, EmailOptions email)
    {
        var (challengeId, deliveryId) = DeliveryStore.IdsOf(delivery.Name);
        var link = email.ChallengeLink.Replace("{challenge}", Uri.EscapeDataString(challengeId), StringComparison.Ordinal);
        var message = new MimeMessage
        {
            Subject = EmailTemplates.Subject(delivery, challengeId),
            MessageId = $"{deliveryId}@disputes.notification",
            Date = delivery.CreateTime.ToDateTimeOffset(),
            Body = new BodyBuilder
            {
                TextBody = EmailTemplates.Text(delivery, link),
                HtmlBody = EmailTemplates.Html(delivery, link),
            }.ToMessageBody(),
        };
        message.From.Add(MailboxAddress.Parse(email.From));
        message.To.Add(to);
        message.Headers.Add("X-Disputes-Delivery", delivery.Name);
        return message;
    }

    private static async ValueTask SendAsync(MimeMessage message, EmailOptions email, CancellationToken cancellationToken)
    {
        using var client = new SmtpClient { Timeout = 30_000 };
        await client.ConnectAsync(email.Host, email.Port, Enum.Parse<SecureSocketOptions>(email.Security, ignoreCase: true), cancellationToken);
        if (email.UserName.Length > 0)
            await client.AuthenticateAsync(email.UserName, email.Password, cancellationToken);
        await client.SendAsync(message, cancellationToken);
        await client.DisconnectAsync(quit: true, cancellationToken);
    }
}
