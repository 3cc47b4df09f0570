using Disputes.Escalation.Domain;
using Disputes.V1;
using Google.Protobuf.WellKnownTypes;

namespace Disputes.UnitTests;

/// <summary>A small partnership: police and children's social care with management chains, IROs, a partnership contact and a chair pool.</summary>
public static class EscalationDirectoryFixtures
{
    public static Agency Agency(string id, AgencyKind kind, bool retired = false) => new()
    {
        Name = DirectoryNames.Agency(id), DisplayName = id, Kind = kind,
        RetireTime = retired ? Timestamp.FromDateTimeOffset(DateTimeOffset.UnixEpoch) : null,
    };

    public static Professional Person(string agency, string id, int tier, string? manager = null, bool retired = false,
        DateTimeOffset? unavailableUntil = null, params string[] roles)
    {
        var professional = new Professional
        {
            Name = DirectoryNames.Professional(agency, id), DisplayName = id, ManagementTier = tier,
            LineManager = manager is null ? "" : DirectoryNames.Professional(agency, manager),
            RetireTime = retired ? Timestamp.FromDateTimeOffset(DateTimeOffset.UnixEpoch) : null,
            UnavailableUntil = unavailableUntil is { } until ? Timestamp.FromDateTimeOffset(until) : null,
        };
        professional.Roles.Add(roles.Length == 0 ? ["practitioner"] : roles);
        return professional;
    }

    public static IReadOnlyList<Agency> Agencies() =>
    [
        Agency("police", AgencyKind.Police),
        Agency("childrens-social-care", AgencyKind.ChildrensSocialCare),
        Agency("health", AgencyKind.Health),
        Agency("education", AgencyKind.Education),
        Agency("safeguarding-partnership", AgencyKind.Partnership),
    ];

    public static List<Professional> People() =>
    [
        Person("police", "supt-3", 3, roles: "senior_manager"),
        Person("police", "insp-21", 2, "supt-3", roles: "senior_manager"),
        Person("police", "sgt-12", 1, "insp-21", roles: "line_manager"),
        Person("police", "pc-101", 0, "sgt-12"),
        Person("childrens-social-care", "hos-1", 3, roles: "senior_manager"),
        Person("childrens-social-care", "sm-4", 2, "hos-1", roles: "senior_manager"),
        Person("childrens-social-care", "tm-2", 1, "sm-4", roles: "line_manager"),
        Person("childrens-social-care", "sw-7", 0, "tm-2"),
        Person("childrens-social-care", "iro-1", 1, "sm-4", roles: "iro"),
        Person("childrens-social-care", "iro-2", 1, "sm-4", roles: "iro"),
        Person("childrens-social-care", "chair-csc", 2, roles: "independent_chair"),
        Person("health", "chair-health", 3, roles: "independent_chair"),
        Person("education", "chair-education", 3, roles: "independent_chair"),
        Person("education", "dsl-8", 1, roles: "safeguarding_lead"),
        Person("safeguarding-partnership", "scp-1", 3, roles: "partnership"),
    ];

    public static PartnershipDirectory Directory(Func<List<Professional>, IEnumerable<Professional>>? change = null) =>
        new(Agencies(), change is null ? People() : change(People()));
}
