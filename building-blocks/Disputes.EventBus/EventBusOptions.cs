namespace Disputes.EventBus;

/// <summary>The <c>EventBus</c> configuration section, shared by every transport.</summary>
public sealed class EventBusOptions
{
    public const string SectionName = "EventBus";

    /// <summary><c>Redis</c> (local runs, integration tests), <c>Dapr</c> (Kubernetes) or <c>InMemory</c> (unit tests).</summary>
    public string Transport { get; set; } = "Redis";

    /// <summary>The app id: the CloudEvent source, the Redis consumer group, the Dapr app id.</summary>
    public string AppId { get; set; } = "";

    public string PubSubName { get; set; } = "pubsub";

    /// <summary>Handler attempts for one delivery before the event goes to its dead-letter topic.</summary>
    public int MaxDeliveryAttempts { get; set; } = 5;

    /// <summary>The first retry delay; each later one doubles.</summary>
    public TimeSpan RetryBackoff { get; set; } = TimeSpan.FromMilliseconds(200);

    /// <summary>How long an entry may stay pending with a consumer before another reclaims it.</summary>
    public TimeSpan ProcessingTimeout { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>How long a consumer waits before reading again when a stream had nothing new.</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromMilliseconds(50);

    /// <summary>How long a processed event id is remembered for de-duplication.</summary>
    public TimeSpan DeduplicationWindow { get; set; } = TimeSpan.FromDays(7);

    public TimeSpan BackoffFor(int failedAttempts) =>
        TimeSpan.FromTicks(RetryBackoff.Ticks * (1L << Math.Clamp(failedAttempts - 1, 0, 16)));
}
