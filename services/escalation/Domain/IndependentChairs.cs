using Disputes.V1;
using Disputes.V1.Events;
using Google.Protobuf.WellKnownTypes;

namespace Disputes.Escalation.Domain;

/// <summary>Why a chair cannot be appointed, for a FAILED_PRECONDITION.</summary>
public sealed record ChairRefusal(string Type, string Description);

/// <summary>
/// The independent chair of a stage 4 resolution meeting comes from an agency not involved:
/// neither party's agency nor the child's responsible local authority. Chosen by fair
/// rotation through the pool (in name order, after the last chair appointed), skipping
/// chairs who are unavailable or involved.
/// </summary>
public static class IndependentChairs
{
    public static IReadOnlySet<string> InvolvedAgencies(ChallengeRaised facts)
    {
        var involved = new HashSet<string>(StringComparer.Ordinal) { facts.RaisingParty.AgencyId, facts.ReceivingParty.AgencyId };
        if (facts.Child is { LocalAuthorityId.Length: > 0 })
            involved.Add(facts.Child.LocalAuthorityId);
        return involved;
    }

    public static bool IsAvailable(Professional chair, DateTimeOffset now) =>
        chair.UnavailableUntil is null || chair.UnavailableUntil.ToDateTimeOffset() <= now;

    /// <summary>Null when the named chair may chair this dispute, else why not.</summary>
    public static ChairRefusal? CheckNamed(Professional? chair, ChallengeRaised facts, PartnershipDirectory directory, DateTimeOffset now)
    {
        if (chair is null || !directory.IsActive(chair))
            return new ChairRefusal("NOT_IN_DIRECTORY", "The named chair is not an active professional in the partnership directory.");
        if (!chair.Roles.Contains(DirectoryRoles.IndependentChair))
            return new ChairRefusal("NOT_IN_CHAIR_POOL", "The named professional is not in the independent-chair pool.");
        if (InvolvedAgencies(facts).Contains(DirectoryNames.AgencyIdOf(chair.Name)))
            return new ChairRefusal("CHAIR_AGENCY_INVOLVED",
                "The named chair's agency is involved in the disagreement (a party or the child's local authority); the chair must come from an agency not involved.");
        if (!IsAvailable(chair, now))
            return new ChairRefusal("CHAIR_UNAVAILABLE", $"The named chair is unavailable until {chair.UnavailableUntil.ToDateTimeOffset():o}.");
        return null;
    }

    /// <summary>The next eligible chair after <paramref name="lastAppointed"/> in the rotation, or null when none is eligible.</summary>
    public static Professional? Choose(ChallengeRaised facts, PartnershipDirectory directory, string? lastAppointed, DateTimeOffset now)
    {
        var pool = directory.ChairPool;
        if (pool.Count == 0)
            return null;
        var start = lastAppointed is null ? 0 : pool.Count(p => string.CompareOrdinal(p.Name, lastAppointed) <= 0);
        for (var i = 0; i < pool.Count; i++)
        {
            var candidate = pool[(start + i) % pool.Count];
            if (CheckNamed(candidate, facts, directory, now) is null)
                return candidate;
        }
        return null;
    }
}
