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

    /// <summary>The longest wait between retries after repeated failures (of a read, a publish, a handler).</summary>
    public TimeSpan MaxRetryBackoff { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How long an entry may stay pending with a consumer before another reclaims it.</summary>
    public TimeSpan ProcessingTimeout { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>
    /// How long after it was read a delivery (its wait in a lane, its attempts and their backoff)
    /// may run; the handler's token is cancelled then. Below <see cref="ProcessingTimeout"/>, so an
    /// entry is never handled here while another replica reclaims it. Zero: half the processing timeout.
    /// </summary>
    public TimeSpan HandlerTimeout { get; set; } = TimeSpan.Zero;

    /// <summary>
    /// How long a consumer's blocking read (<c>XREADGROUP ... BLOCK</c>) waits for new entries before
    /// it comes round to reclaim abandoned entries and to notice shutdown. Events arrive as soon as
    /// they are published, whatever this is.
    /// </summary>
    public TimeSpan BlockTime { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// How often the outbox relay looks for entries nobody woke it for (written by a replica that died,
    /// or by a script of another process); a write of its own process wakes it at once.
    /// </summary>
    public TimeSpan OutboxSweepInterval { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// How long a processed event id is remembered for de-duplication (7 days by default): far longer
    /// than any redelivery (reclaim, relay retry) takes. After it, the applied aggregate version each
    /// consumer keeps still refuses an event applied before.
    /// </summary>
    public TimeSpan DeduplicationWindow { get; set; } = TimeSpan.FromDays(7);

    /// <summary>
    /// Topics are trimmed at publish to about this many entries (<c>XADD MAXLEN ~</c>, Dapr's
    /// <c>maxLenApprox</c>). It must exceed what the slowest consumer can fall behind by (docs/operations.md).
    /// </summary>
    public long MaxStreamLength { get; set; } = 100_000;

    /// <summary>Publish attempts for one outbox entry before it moves to the outbox's dead-letter stream.</summary>
    public int MaxPublishAttempts { get; set; } = 10;

    /// <summary>Readiness is degraded once the oldest unpublished outbox entry is older than this.</summary>
    public TimeSpan OutboxAgeDegraded { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Readiness is unhealthy once the oldest unpublished outbox entry is older than this.</summary>
    public TimeSpan OutboxAgeUnhealthy { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>How often the lag sampler reads this app's topics for the consumer gauges.</summary>
    public TimeSpan MetricsSampleInterval { get; set; } = TimeSpan.FromSeconds(5);

    public TimeSpan EffectiveHandlerTimeout => HandlerTimeout > TimeSpan.Zero ? HandlerTimeout : ProcessingTimeout / 2;

    public TimeSpan BackoffFor(int failedAttempts)
    {
        var backoff = TimeSpan.FromTicks(RetryBackoff.Ticks * (1L << Math.Clamp(failedAttempts - 1, 0, 16)));
        return backoff < MaxRetryBackoff ? backoff : MaxRetryBackoff;
    }
}
