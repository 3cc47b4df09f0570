using Disputes.ServiceDefaults.Identity;

namespace Disputes.Procedure;

/// <summary>
/// A professional appointed to a dispute: the independent chair, or the child's named IRO. A
/// professional id is its agency's own (every agency may have a "chair-1"), so the agency must
/// match too: the named IRO is a professional of the child's responsible local authority, as
/// routing finds them in the directory.
/// </summary>
public sealed record AppointedProfessional(string AgencyId, string ProfessionalId)
{
    public bool Is(Caller caller) =>
        AgencyId.Length > 0 && ProfessionalId.Length > 0 && caller.AgencyId == AgencyId && caller.ProfessionalId == ProfessionalId;

    /// <summary>The appointed professionals a dispute has: the named IRO, and the chair once appointed.</summary>
    public static AppointedProfessional[] Of(string? localAuthorityId, string? iroProfessionalId, string? chairAgencyId, string? chairProfessionalId)
    {
        var appointed = new List<AppointedProfessional>(2);
        if (!string.IsNullOrEmpty(localAuthorityId) && !string.IsNullOrEmpty(iroProfessionalId))
            appointed.Add(new AppointedProfessional(localAuthorityId, iroProfessionalId));
        if (!string.IsNullOrEmpty(chairAgencyId) && !string.IsNullOrEmpty(chairProfessionalId))
            appointed.Add(new AppointedProfessional(chairAgencyId, chairProfessionalId));
        return [.. appointed];
    }
}

/// <summary>
/// Who is involved in a dispute, as far as reading it is concerned: the two party agencies,
/// the professionals appointed to it (the child's named IRO, the independent chair) and, for
/// a child on a CP Plan or Looked After, the responsible local authority whose IROs may read it.
/// </summary>
public sealed record DisputeParties(
    string RaisingAgencyId,
    string ReceivingAgencyId,
    IReadOnlyCollection<AppointedProfessional> Appointed,
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
        if (parties.Appointed.Any(a => a.Is(caller))
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
