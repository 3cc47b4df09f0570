using Disputes.EventBus;
using Disputes.Notification.Domain;
using Disputes.Notification.Storage;
using Disputes.V1;
using Google.Protobuf.WellKnownTypes;
using Microsoft.Extensions.Options;

namespace Disputes.Notification.Sending;

/// <summary>
/// Turns the notices of one event into deliveries over every channel the recipient's agency
/// has: its watch stream always (delivered as it is written), each of its webhooks, and each
/// of its email subscriptions whose notices include it. All of an event's deliveries are
/// written at once, so a redelivered event or a restart writes none twice; webhooks and email
/// are then sent by <see cref="DeliverySender"/>.
/// </summary>
public sealed partial class Notifier(
    DeliveryStore store,
    WebhookSubscriptionStore webhooks,
    EmailSubscriptionStore emails,
    IntegrationEventFactory events,
    IOptions<NotificationOptions> options,
    TimeProvider timeProvider,
    ILogger<Notifier> logger)
{
    /// <param name="lastWrite">
    /// The handler writes nothing after this: the event's processed mark then goes in the same
    /// transaction as its deliveries, a round trip fewer. Never when more follows (a crash before
    /// it must leave the event unmarked, so the redelivery does the rest).
    /// </param>
    public async Task NotifyAsync(string challengeId, IReadOnlyList<Notice> notices, EventContext context, bool lastWrite = false)
    {
        if (notices.Count == 0)
            return;
        var now = Timestamp.FromDateTimeOffset(timeProvider.GetUtcNow());
        var deliveries = new List<V1.Delivery>();
        var webhooksByAgency = new Dictionary<string, IReadOnlyList<WebhookSubscription>>(StringComparer.Ordinal);
        var emailsByAgency = new Dictionary<string, IReadOnlyList<EmailSubscription>>(StringComparer.Ordinal);
        foreach (var notice in notices)
        {
            var agency = notice.Recipient.AgencyId;
            if (agency.Length == 0)
                continue;
            deliveries.Add(Build(challengeId, notice, context, now, Channel.Stream, $"agencies/{agency}", DeliveryStatus.Delivered));

            if (!webhooksByAgency.TryGetValue(agency, out var subscriptions))
                webhooksByAgency[agency] = subscriptions = await webhooks.ListAsync(agency);
            foreach (var subscription in subscriptions)
                deliveries.Add(Build(challengeId, notice, context, now, Channel.Webhook, subscription.Name, DeliveryStatus.Pending));

            if (options.Value.Email.Host.Length == 0)
                continue;
            if (!emailsByAgency.TryGetValue(agency, out var mailboxes))
                emailsByAgency[agency] = mailboxes = await emails.ListAsync(agency);
            foreach (var mailbox in mailboxes.Where(m => m.Notices.Count == 0 || m.Notices.Contains(notice.Name)))
                deliveries.Add(Build(challengeId, notice, context, now, Channel.Email, mailbox.Name, DeliveryStatus.Pending));
        }

        var delivered = deliveries.Where(d => d.Status == DeliveryStatus.Delivered).Select(d => events.Create(DeliveryViews.DeliveredEvent(d))).ToArray();
        if (!await store.CreateAsync(challengeId, context.EventId, deliveries, delivered, lastWrite ? context : null))
        {
            LogAlreadyNotified(context.EventId);
            return;
        }
        foreach (var d in deliveries.Where(d => d.Status != DeliveryStatus.Pending))
            NotificationMetrics.Delivery(d.Channel, d.Status);
        foreach (var d in deliveries)
            LogDelivery(d.Name, d.Notice, d.Channel, d.Status, d.RecipientRole, d.Recipient.AgencyId, d.Recipient.ProfessionalId);
    }

    private static V1.Delivery Build(string challengeId, Notice notice, EventContext context, Timestamp now, Channel channel, string destination, DeliveryStatus status) => new()
    {
        Name = $"challenges/{challengeId}/deliveries/{DeliveryIds.For(context.EventId, notice, channel, destination)}",
        Recipient = DisputeFacts.Copy(notice.Recipient),
        RecipientRole = notice.Role,
        Channel = channel,
        Notice = notice.Name,
        Message = notice.Message,
        Status = status,
        Attempts = status == DeliveryStatus.Delivered ? 1 : 0,
        CreateTime = now,
        DeliverTime = status == DeliveryStatus.Delivered ? now : null,
        EventId = context.EventId,
        TraceId = context.TraceId ?? "",
        Stage = notice.Stage,
        Destination = destination,
    };

    [LoggerMessage(LogLevel.Debug, "The deliveries of event {EventId} were already written; nothing to do")]
    private partial void LogAlreadyNotified(string eventId);

    [LoggerMessage(LogLevel.Debug, "{Delivery} ({Notice}) over {Channel}, {Status}, to the {Role} {Agency}/{Professional}")]
    private partial void LogDelivery(string delivery, string notice, Channel channel, DeliveryStatus status, RecipientRole role, string agency, string professional);
}
