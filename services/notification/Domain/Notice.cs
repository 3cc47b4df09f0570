using Disputes.V1;

namespace Disputes.Notification.Domain;

/// <summary>One thing to tell one person (or one agency) about a challenge at a stage.</summary>
public sealed record Notice(RecipientRole Role, Party Recipient, string Name, Stage Stage, string Message);
