namespace Disputes.Challenge.Domain;

/// <summary>
/// What the procedure needs of each field, enforced per field so that one request stays
/// within tens of KiB and one challenge cannot grow without bound.
/// </summary>
public static class ChallengeLimits
{
    /// <summary>A narrative field (subject, reasons, summaries): a few KiB of text.</summary>
    public const int NarrativeLength = 4000;
    public const int IdLength = 128;
    public const int CategoryDetailLength = 512;
    public const int ActionLength = 1000;
    public const int Attendees = 30;
    public const int AgreedActions = 20;
    /// <summary>Discussions kept on one challenge; past this the record service keeps the story.</summary>
    public const int Discussions = 50;
    public const int EtagLength = 64;
}
