using Disputes.V1;
using Disputes.V1.Events;

namespace Disputes.Notification.Domain;

/// <summary>
/// Who is told what, for each event: the table policy may change, in one place. Messages
/// name the challenge but never the child: they travel over channels outside the suite.
/// </summary>
public static class RecipientsTable
{
    public const string ChallengeReceived = "challenge-received";
    public const string ChallengeToAcknowledge = "challenge-to-acknowledge";

    public static IReadOnlyList<Notice> For(ChallengeRaised raised) =>
    [
        // The outcome is shared with the referrer at each stage; the first is that the challenge arrived.
        new(RecipientRole.Referrer, raised.RaisingParty, ChallengeReceived,
            $"Your challenge {raised.Challenge} has been received and sent to {raised.ReceivingParty.AgencyId} at stage 1 (professional discussion)."),
        new(RecipientRole.ReceivingProfessional, raised.ReceivingParty, ChallengeToAcknowledge,
            $"{raised.RaisingParty.AgencyId} has raised challenge {raised.Challenge} about a decision of yours; please acknowledge it and arrange a discussion."),
    ];
}
