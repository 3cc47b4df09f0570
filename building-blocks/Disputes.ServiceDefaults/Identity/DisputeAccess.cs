namespace Disputes.ServiceDefaults.Identity;

/// <summary>
/// Who is involved in a dispute, as far as reading it is concerned: the two party agencies,
/// the professionals appointed to it (the child's named IRO, the independent chair) and, for
/// a child on a CP Plan or Looked After, the responsible local authority whose IROs may read it.
/// </summary>
public sealed record DisputeParties(
    string RaisingAgencyId,
    string ReceivingAgencyId,
    IReadOnlyCollection<string> AppointedProfessionalIds,
    string LocalAuthorityId = "")
{
    public DisputeParties(string raisingAgencyId, string receivingAgencyId)
        : this(raisingAgencyId, receivingAgencyId, []) { }
}

/// <summary>How much of a dispute a caller may see.</summary>
public enum DisputeView
{
    None,
    /// <summary>Ids, stages, times and trace ids; never the narrative.</summary>
    Support,
    Full,
}

/// <summary>
/// The permission table, in one place for every service: a caller sees the disputes its
/// agency is a party to; the partnership sees all; an IRO or independent chair sees the
/// disputes they are appointed to, and an IRO of the child's responsible local authority
/// sees its disputes; support sees every dispute without its narrative.
/// </summary>
public static class DisputeAccess
{
    public static DisputeView ViewFor(Caller caller, DisputeParties parties)
    {
        if (caller.AgencyId.Length > 0 && (caller.AgencyId == parties.RaisingAgencyId || caller.AgencyId == parties.ReceivingAgencyId))
            return DisputeView.Full;
        if (caller.HasRole(DisputeRoles.Partnership))
            return DisputeView.Full;
        if (parties.AppointedProfessionalIds.Contains(caller.ProfessionalId)
            && (caller.HasRole(DisputeRoles.IndependentReviewingOfficer) || caller.HasRole(DisputeRoles.IndependentChair)))
            return DisputeView.Full;
        if (parties.LocalAuthorityId.Length > 0 && caller.AgencyId == parties.LocalAuthorityId
            && caller.HasRole(DisputeRoles.IndependentReviewingOfficer))
            return DisputeView.Full;
        if (caller.HasRole(DisputeRoles.Support))
            return DisputeView.Support;
        return DisputeView.None;
    }

    /// <summary>Whether the caller may list disputes beyond its own agency's.</summary>
    public static bool SeesAllDisputes(Caller caller) =>
        caller.HasRole(DisputeRoles.Partnership) || caller.HasRole(DisputeRoles.Support);
}
