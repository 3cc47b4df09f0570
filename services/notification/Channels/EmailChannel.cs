using Disputes.Notification.Storage;
using Disputes.V1;
using MailKit.Net.Smtp;
using MailKit.Security;
using Microsoft.Extensions.Options;
using MimeKit;

namespace Disputes.Notification.Channels;

/// <summary>
/// Email over SMTP (MailKit) to one of the recipient agency's email subscriptions, read when
/// it is sent: a subscription deleted meanwhile is sent nothing more. The Message-ID is made
/// from the delivery id, so a resend after a crash is recognisably the same message.
/// </summary>
public sealed class EmailChannel(EmailSubscriptionStore subscriptions, IOptions<NotificationOptions> options) : IDeliveryChannel
{
    public Channel Channel => Channel.Email;

    public async Task<PreparedSend?> PrepareAsync(Delivery delivery, CancellationToken cancellationToken)
    {
        var email = options.Value.Email;
        if (email.Host.Length == 0 || !TryParseName(delivery.Destination, out var agencyId, out var subscriptionId))
            return null;
        if (await subscriptions.GetAsync(agencyId, subscriptionId) is not { } subscription
            || !MailboxAddress.TryParse(subscription.Address, out var to))
            return null;
        to.Name = subscription.DisplayName;
        var message = Build(delivery, to, email);
        return new PreparedSend($"smtp:{email.Host}:{email.Port}", ct => SendAsync(message, email, ct));
    }

    public static bool TryParseName(string name, out string agencyId, out string subscriptionId)
    {
        var parts = name.Split('/');
        (agencyId, subscriptionId) = parts is ["agencies", var agency, "emailSubscriptions", var id] && agency.Length > 0 && id.Length > 0
            ? (agency, id)
            : ("", "");
        return agencyId.Length > 0;
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
