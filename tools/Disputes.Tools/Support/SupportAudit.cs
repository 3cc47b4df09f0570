using System.Globalization;
using StackExchange.Redis;

namespace Disputes.Tools.Support;

/// <summary>
/// The support audit trail: one entry in the <c>support:audit</c> stream per action on the bus,
/// saying who, what, when and why. Written right after the action (on a Redis Cluster the audit
/// stream is in a slot of its own, so it cannot share the action's transaction).
/// </summary>
public static class SupportAudit
{
    public static readonly RedisKey StreamKey = "support:audit";

    public static NameValueEntry[] Entry(string who, string action, DateTimeOffset when, string? why, DeadLetter deadLetter, string outcome) =>
    [
        new("who", who),
        new("action", action),
        new("when", when.UtcDateTime.ToString("O", CultureInfo.InvariantCulture)),
        new("why", why ?? ""),
        new("outcome", outcome),
        new("topic", deadLetter.Topic),
        new("deadletter-entry-id", deadLetter.EntryId),
        new("event-id", deadLetter.EventId ?? ""),
        new("event-type", deadLetter.EventType ?? ""),
        new("dispute-id", deadLetter.DisputeId ?? ""),
    ];

    /// <summary>The operator: the --operator option, else the OS user.</summary>
    public static string OperatorOr(string? given) => string.IsNullOrWhiteSpace(given) ? Environment.UserName : given.Trim();
}
