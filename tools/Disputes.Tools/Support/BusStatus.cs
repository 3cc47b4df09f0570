using System.Text.Json.Serialization;

namespace Disputes.Tools.Support;

/// <summary>The bus at one moment: each topic with its consumer groups, and each service's outbox.</summary>
public sealed record BusStatus(DateTimeOffset Time, IReadOnlyList<TopicStatus> Topics, IReadOnlyList<OutboxStatus> Outboxes);

/// <summary>A topic stream: entries still held, dead letters waiting, and each consumer group (an app id) reading it.</summary>
public sealed record TopicStatus(string Topic, string EventType, long Length, long DeadLetters, IReadOnlyList<GroupStatus> Groups);

/// <summary>
/// One consumer group on a topic. Lag: entries not yet delivered to the group. Pending: delivered
/// but not acknowledged (being handled or retried). The oldest pending entry's age is counted from
/// when it was published; its idle time from when it was last delivered.
/// </summary>
public sealed record GroupStatus(
    string Group,
    long? Lag,
    long Pending,
    int Consumers,
    [property: JsonPropertyName("oldestPendingAgeSeconds")] TimeSpan? OldestPendingAge,
    [property: JsonPropertyName("oldestPendingIdleSeconds")] TimeSpan? OldestPendingIdle,
    int? OldestPendingDeliveries);

/// <summary>
/// A service's outbox: events written with a change and not yet published, over all its partition
/// streams (<see cref="Partitions"/> of them found); <see cref="Stream"/> names them together ("{app}:outbox").
/// </summary>
public sealed record OutboxStatus(
    string App,
    string Stream,
    long Length,
    [property: JsonPropertyName("oldestEntryAgeSeconds")] TimeSpan? OldestEntryAge,
    long DeadLetters,
    int Partitions);
