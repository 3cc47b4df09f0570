using Disputes.V1;

namespace Disputes.Notification.Domain;

/// <summary>One thing to tell one person about a challenge.</summary>
public sealed record Notice(RecipientRole Role, Party Recipient, string Name, string Message);
