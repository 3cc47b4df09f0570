using System.Net;
using Disputes.Notification.Domain;
using Disputes.V1;

namespace Disputes.Notification.Channels;

/// <summary>The email a notice becomes: a subject, plain text and HTML, each with the link to the challenge.</summary>
public static class EmailTemplates
{
    public static string Subject(Delivery delivery, string challengeId) =>
        $"Challenge {challengeId}: {delivery.Notice.Replace('-', ' ')} ({RecipientsTable.StageText(delivery.Stage)})";

    public static string Text(Delivery delivery, string link) => $"""
        {delivery.Message}

        Open the challenge: {link}

        You receive this as {Role(delivery.RecipientRole)} under the multi-agency procedure for resolving professional disagreements.
        Delivery {delivery.Name}
        """;

    public static string Html(Delivery delivery, string link) => $"""
        <!DOCTYPE html>
        <html lang="en">
        <body style="font-family: sans-serif">
          <p>{WebUtility.HtmlEncode(delivery.Message)}</p>
          <p><a href="{WebUtility.HtmlEncode(link)}">Open the challenge</a></p>
          <p style="color: #555; font-size: smaller">You receive this as {WebUtility.HtmlEncode(Role(delivery.RecipientRole))} under the multi-agency procedure for resolving professional disagreements.<br>
          Delivery {WebUtility.HtmlEncode(delivery.Name)}</p>
        </body>
        </html>
        """;

    private static string Role(RecipientRole role) => role switch
    {
        RecipientRole.Referrer => "the referrer",
        RecipientRole.ReceivingProfessional => "the professional receiving the challenge",
        RecipientRole.LineManager => "a line manager",
        RecipientRole.SeniorManager => "a senior manager",
        RecipientRole.IndependentReviewingOfficer => "the Independent Reviewing Officer",
        RecipientRole.Partnership => "the Safeguarding Children Partnership",
        RecipientRole.IndependentChair => "the independent chair",
        _ => "a professional involved",
    };
}
