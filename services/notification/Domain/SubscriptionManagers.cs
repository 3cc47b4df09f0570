using Disputes.Procedure;
using Disputes.ServiceDefaults.Identity;

namespace Disputes.Notification.Domain;

/// <summary>
/// Who may manage an agency's channels (webhook and email subscriptions): a line manager or
/// safeguarding lead of that agency, or the partnership for its own agency. Nobody else, and
/// never for another agency.
/// </summary>
public static class SubscriptionManagers
{
    public static readonly IReadOnlySet<string> Roles = new HashSet<string>(StringComparer.Ordinal)
    {
        DisputeRoles.LineManager,
        DisputeRoles.SafeguardingLead,
        DisputeRoles.Partnership,
    };

    public static bool MayManage(Caller caller, string agencyId) =>
        caller.AgencyId.Length > 0 && caller.AgencyId == agencyId && Roles.Any(caller.HasRole);
}
