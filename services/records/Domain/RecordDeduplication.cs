using Disputes.V1.Events;
using Google.Protobuf;

namespace Disputes.Records.Domain;

/// <summary>
/// What keeps an event from being recorded twice once the record no longer remembers its id (the
/// sources it recorded are kept for a retention window after the dispute's last append).
/// </summary>
public static class RecordDeduplication
{
    /// <summary>How far apart the publisher's clock and the record's may be, allowed for when an event's age is judged.</summary>
    public static readonly TimeSpan ClockAllowance = TimeSpan.FromHours(1);

    /// <summary>
    /// Whether the event's challenge version alone tells a repeat (the record's state keeps the
    /// version it reflects for ever, and a raise is recorded once the record exists).
    /// </summary>
    public static bool OrderedByVersion(IMessage @event) => @event is ChallengeRaised or ChallengeAcknowledged or DiscussionRecorded
        or ChallengeReviewed or ChallengeEscalated or ChallengeResolved or ChallengeWithdrawn;

    /// <summary>
    /// Whether the record may have forgotten the event's id: it carries no challenge version of its
    /// own and is older than the retention (less the clock allowance). A source is remembered at
    /// least the retention after it was recorded, which is after the event occurred, so a younger
    /// event's id is still known if it was ever recorded; for an older one, the entries' source event
    /// ids are the check.
    /// </summary>
    public static bool MayBeForgotten(IMessage @event, DateTimeOffset eventTime, DateTimeOffset now, TimeSpan retention) =>
        !OrderedByVersion(@event) && now - eventTime >= retention - ClockAllowance;
}
