using Disputes.V1;

namespace Disputes.Escalation.Domain;

/// <summary>
/// The partnership directory as routing reads it: agencies and professionals, with the
/// management chains, IROs, partnership contacts and chair pool derived from the
/// professionals' line-manager links and roles. Retired entries are never routed to.
/// </summary>
public sealed class PartnershipDirectory
{
    /// <summary>The longest line-manager chain followed (guards against a cycle in the data).</summary>
    public const int MaxChainLength = 16;

    private readonly Dictionary<string, Agency> _agencies;
    private readonly Dictionary<string, Professional> _professionals;

    public PartnershipDirectory(IEnumerable<Agency> agencies, IEnumerable<Professional> professionals)
    {
        _agencies = agencies.ToDictionary(a => a.Name, StringComparer.Ordinal);
        _professionals = professionals.ToDictionary(p => p.Name, StringComparer.Ordinal);
    }

    public static PartnershipDirectory Empty { get; } = new([], []);

    public IEnumerable<Professional> Professionals => _professionals.Values;

    public Agency? AgencyOf(string agencyId) => _agencies.GetValueOrDefault(DirectoryNames.Agency(agencyId));

    public Professional? Find(string agencyId, string professionalId) =>
        _professionals.GetValueOrDefault(DirectoryNames.Professional(agencyId, professionalId));

    public Professional? FindByName(string name) => _professionals.GetValueOrDefault(name);

    public bool IsActive(Professional professional) =>
        professional.RetireTime is null
        && AgencyOf(DirectoryNames.AgencyIdOf(professional.Name)) is { RetireTime: null };

    /// <summary>The professional's line manager, if recorded and not retired.</summary>
    public Professional? LineManagerOf(Professional professional) =>
        professional.LineManager.Length > 0 && FindByName(professional.LineManager) is { } manager && IsActive(manager) ? manager : null;

    /// <summary>Up the line-manager chain from (not including) <paramref name="professional"/>.</summary>
    public IEnumerable<Professional> ChainAbove(Professional professional)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal) { professional.Name };
        var current = professional;
        for (var i = 0; i < MaxChainLength && LineManagerOf(current) is { } manager && seen.Add(manager.Name); i++)
        {
            yield return manager;
            current = manager;
        }
    }

    public IEnumerable<Professional> WithRole(string role) =>
        _professionals.Values.Where(p => p.Roles.Contains(role) && IsActive(p)).OrderBy(p => p.Name, StringComparer.Ordinal);

    public IEnumerable<Professional> WithRoleIn(string agencyId, string role) =>
        WithRole(role).Where(p => DirectoryNames.AgencyIdOf(p.Name) == agencyId);

    /// <summary>The independent-chair pool, in a stable order for the rotation.</summary>
    public IReadOnlyList<Professional> ChairPool => WithRole(DirectoryRoles.IndependentChair).ToArray();
}

/// <summary>The roles the directory knows; a token's roles use the same words.</summary>
public static class DirectoryRoles
{
    public const string Practitioner = "practitioner";
    public const string LineManager = "line_manager";
    public const string SafeguardingLead = "safeguarding_lead";
    public const string SeniorManager = "senior_manager";
    public const string IndependentReviewingOfficer = "iro";
    public const string Partnership = "partnership";
    public const string IndependentChair = "independent_chair";
    public const string Support = "support";

    public static IReadOnlySet<string> All { get; } = new HashSet<string>(StringComparer.Ordinal)
    {
        Practitioner, LineManager, SafeguardingLead, SeniorManager, IndependentReviewingOfficer, Partnership, IndependentChair, Support,
    };
}

/// <summary>Resource names of the directory: <c>agencies/{agency}</c> and <c>agencies/{agency}/professionals/{professional}</c>.</summary>
public static class DirectoryNames
{
    public const string AgenciesCollection = "agencies";
    public const int MaxIdLength = 128;

    public static string Agency(string agencyId) => $"{AgenciesCollection}/{agencyId}";

    public static string Professional(string agencyId, string professionalId) => $"{AgenciesCollection}/{agencyId}/professionals/{professionalId}";

    /// <summary>The agency id of a professional's or agency's name.</summary>
    public static string AgencyIdOf(string name)
    {
        var parts = name.Split('/');
        return parts.Length >= 2 ? parts[1] : "";
    }

    public static string ProfessionalIdOf(string name)
    {
        var parts = name.Split('/');
        return parts.Length == 4 ? parts[3] : "";
    }

    /// <summary>Agency ids: lower-case letters, digits and hyphens, as in <c>Party.agency_id</c>.</summary>
    public static bool IsAgencyId(string? id) =>
        id is { Length: > 0 and <= 63 } && char.IsAsciiLetterOrDigit(id[0]) && id.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c == '-');

    /// <summary>Professional ids are token subjects: letters, digits and <c>._@-</c>, no slash.</summary>
    public static bool IsProfessionalId(string? id) =>
        id is { Length: > 0 and <= MaxIdLength } && char.IsAsciiLetterOrDigit(id[0]) && id.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '@' or '-');

    public static bool TryParseAgency(string? name, out string agencyId)
    {
        agencyId = "";
        var parts = name?.Split('/');
        if (parts is not [AgenciesCollection, var id] || !IsAgencyId(id))
            return false;
        agencyId = id;
        return true;
    }

    public static bool TryParseProfessional(string? name, out string agencyId, out string professionalId)
    {
        agencyId = professionalId = "";
        var parts = name?.Split('/');
        if (parts is not [AgenciesCollection, var agency, "professionals", var id] || !IsAgencyId(agency) || !IsProfessionalId(id))
            return false;
        (agencyId, professionalId) = (agency, id);
        return true;
    }
}
