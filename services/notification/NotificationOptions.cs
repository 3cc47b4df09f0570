namespace Disputes.Notification;

/// <summary>The <c>Notification</c> configuration section.</summary>
public sealed class NotificationOptions
{
    public const string SectionName = "Notification";

    /// <summary>The agency that receives routing gaps: the local Safeguarding Children Partnership.</summary>
    public string PartnershipAgencyId { get; set; } = "safeguarding-partnership";

    public WebhookOptions Webhooks { get; set; } = new();

    public EmailOptions Email { get; set; } = new();

    public SendingOptions Sending { get; set; } = new();
}

public sealed class WebhookOptions
{
    /// <summary>
    /// Allow http to loopback addresses (Development only): production configuration sends
    /// only over https, and only to public addresses.
    /// </summary>
    public bool AllowLoopback { get; set; }

    public int MaxSubscriptionsPerAgency { get; set; } = 10;
}

public sealed class EmailOptions
{
    /// <summary>The SMTP relay; email is off while it is empty.</summary>
    public string Host { get; set; } = "";

    public int Port { get; set; } = 587;

    /// <summary>MailKit's SecureSocketOptions: <c>StartTls</c> in production; <c>None</c> only for a relay on loopback.</summary>
    public string Security { get; set; } = "StartTls";

    public string UserName { get; set; } = "";

    public string Password { get; set; } = "";

    public string From { get; set; } = "notifications@disputes.invalid";

    /// <summary>The link to a challenge in the agencies' portal; <c>{challenge}</c> is replaced by the challenge id.</summary>
    public string ChallengeLink { get; set; } = "https://disputes.invalid/challenges/{challenge}";

    /// <summary>Email subscriptions an agency may have (CreateEmailSubscription): each notice is sent to every one.</summary>
    public int MaxSubscriptionsPerAgency { get; set; } = 10;
}

/// <summary>How webhook and email deliveries are retried (Polly): exponential backoff with jitter, then a dead letter; a circuit breaker per endpoint.</summary>
public sealed class SendingOptions
{
    /// <summary>Attempts in all, the first included, before a delivery is given up into the dead letters.</summary>
    public int MaxAttempts { get; set; } = 6;

    public TimeSpan FirstRetryDelay { get; set; } = TimeSpan.FromSeconds(2);

    public TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromSeconds(60);

    public TimeSpan AttemptTimeout { get; set; } = TimeSpan.FromSeconds(10);

    public double BreakerFailureRatio { get; set; } = 0.5;

    public int BreakerMinimumThroughput { get; set; } = 4;

    public TimeSpan BreakerSamplingDuration { get; set; } = TimeSpan.FromSeconds(60);

    public TimeSpan BreakDuration { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>A send job pending longer than this with a sender that died is taken over; above the longest retry sequence.</summary>
    public TimeSpan ReclaimAfter { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// The longest an idle sender waits before looking at the queue unprompted: jobs this process
    /// queues wake it at once; this bounds how late it finds jobs another replica queued and left.
    /// </summary>
    public TimeSpan SweepInterval { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Deliveries in flight at once per replica; a failing endpoint holds only the slots of its own deliveries.</summary>
    public int Concurrency { get; set; } = 32;
}
