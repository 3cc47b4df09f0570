namespace Disputes.Challenge.Storage;

/// <summary>The <c>Challenge:Storage</c> section.</summary>
public sealed class ChallengeStoreOptions
{
    public const string SectionName = "Challenge:Storage";

    /// <summary>
    /// How long a request_id is remembered: a retry within this window is answered with what the
    /// first call produced (or REQUEST_ID_REUSED); after it, the same id is a new request.
    /// </summary>
    public TimeSpan RequestIdRetention { get; set; } = TimeSpan.FromDays(30);
}
