using Disputes.V1;
using Disputes.V1.Events;
using Google.Protobuf.WellKnownTypes;

namespace Disputes.Notification.Domain;

/// <summary>
/// Every view of a delivery is built field by field from what the API defines (an allowlist),
/// so a field added later, or an unknown one, reaches nobody by accident.
/// </summary>
public static class DeliveryViews
{
    /// <summary>For a caller who may read the challenge. The message is for its recipient's agency only.</summary>
    public static Delivery Full(Delivery d, bool withMessage) => new()
    {
        Name = d.Name,
        Recipient = DisputeFacts.Copy(d.Recipient),
        RecipientRole = d.RecipientRole,
        Channel = d.Channel,
        Notice = d.Notice,
        Message = withMessage ? d.Message : "",
        Status = d.Status,
        Attempts = d.Attempts,
        CreateTime = Copy(d.CreateTime),
        DeliverTime = Copy(d.DeliverTime),
        EventId = d.EventId,
        TraceId = d.TraceId,
        Cursor = d.Cursor,
        Stage = d.Stage,
        Destination = d.Destination,
        AttemptsLog = { d.AttemptsLog.Select(Copy) },
    };

    /// <summary>Support: ids, kinds, stages, times and trace ids; never the message or where it was sent.</summary>
    public static Delivery Support(Delivery d) => new()
    {
        Name = d.Name,
        Recipient = new Party { AgencyId = d.Recipient?.AgencyId ?? "", ProfessionalId = d.Recipient?.ProfessionalId ?? "" },
        RecipientRole = d.RecipientRole,
        Channel = d.Channel,
        Notice = d.Notice,
        Status = d.Status,
        Attempts = d.Attempts,
        CreateTime = Copy(d.CreateTime),
        DeliverTime = Copy(d.DeliverTime),
        EventId = d.EventId,
        TraceId = d.TraceId,
        Cursor = d.Cursor,
        Stage = d.Stage,
        AttemptsLog = { d.AttemptsLog.Select(Copy) },
    };

    /// <summary>One attempt, field by field: times, outcome, status code and error kind only.</summary>
    public static DeliveryAttempt Copy(DeliveryAttempt a) => new()
    {
        Time = Copy(a.Time),
        Outcome = a.Outcome,
        StatusCode = a.StatusCode,
        ErrorKind = a.ErrorKind,
        Duration = a.Duration is null ? null : new Duration { Seconds = a.Duration.Seconds, Nanos = a.Duration.Nanos },
    };

    /// <summary>What a webhook carries as <c>data</c> and a watcher receives: the notice, never status internals or the destination.</summary>
    public static Delivery ForRecipientSystem(Delivery d, string cursor = "") => new()
    {
        Name = d.Name,
        Recipient = DisputeFacts.Copy(d.Recipient),
        RecipientRole = d.RecipientRole,
        Channel = d.Channel,
        Notice = d.Notice,
        Message = d.Message,
        Status = d.Status,
        Attempts = d.Attempts,
        CreateTime = Copy(d.CreateTime),
        DeliverTime = Copy(d.DeliverTime),
        EventId = d.EventId,
        TraceId = d.TraceId,
        Cursor = cursor,
        Stage = d.Stage,
    };

    public static NotificationDelivered DeliveredEvent(Delivery d) => new()
    {
        Challenge = d.Name[..d.Name.IndexOf("/deliveries/", StringComparison.Ordinal)],
        Version = 1,
        OccurTime = Copy(d.DeliverTime ?? d.CreateTime),
        Delivery = d.Name,
        Recipient = DisputeFacts.Copy(d.Recipient),
        RecipientRole = d.RecipientRole,
        Channel = d.Channel,
        Notice = d.Notice,
        Status = d.Status,
        Attempts = d.Attempts,
        EventId = d.EventId,
        Stage = d.Stage,
    };

    private static Timestamp? Copy(Timestamp? t) => t is null ? null : new Timestamp { Seconds = t.Seconds, Nanos = t.Nanos };
}
