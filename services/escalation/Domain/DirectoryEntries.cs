using Disputes.V1;
using Google.Protobuf.WellKnownTypes;

namespace Disputes.Escalation.Domain;

/// <summary>
/// The rules for directory entries: what a create or update may set, checked field by field,
/// and the allowlist copies that are stored (output-only fields set by the service).
/// </summary>
public static class DirectoryEntries
{
    public const int MaxDisplayName = 200;
    public const int MaxEmail = 254;
    public const int MaxManagementTier = 20;
    public const int MaxRoles = 8;

    public static readonly IReadOnlyList<string> AgencyFields = ["display_name", "kind"];

    public static readonly IReadOnlyList<string> ProfessionalFields =
        ["display_name", "email", "roles", "line_manager", "management_tier", "unavailable_until"];

    public static IEnumerable<(string Field, string Description)> ValidateAgency(Agency agency, string prefix, IReadOnlyCollection<string> fields)
    {
        if (fields.Contains("display_name"))
        {
            if (string.IsNullOrWhiteSpace(agency.DisplayName))
                yield return ($"{prefix}.display_name", "is required");
            else if (agency.DisplayName.Length > MaxDisplayName)
                yield return ($"{prefix}.display_name", $"must be at most {MaxDisplayName} characters");
        }
        if (fields.Contains("kind") && (agency.Kind == AgencyKind.Unspecified || !System.Enum.IsDefined(agency.Kind)))
            yield return ($"{prefix}.kind", "must be one of the agency kinds");
    }

    public static IEnumerable<(string Field, string Description)> ValidateProfessional(Professional professional, string prefix, IReadOnlyCollection<string> fields)
    {
        if (fields.Contains("display_name"))
        {
            if (string.IsNullOrWhiteSpace(professional.DisplayName))
                yield return ($"{prefix}.display_name", "is required");
            else if (professional.DisplayName.Length > MaxDisplayName)
                yield return ($"{prefix}.display_name", $"must be at most {MaxDisplayName} characters");
        }
        if (fields.Contains("email") && professional.Email.Length > 0
            && (professional.Email.Length > MaxEmail || professional.Email.IndexOf('@') is <= 0 || professional.Email.EndsWith('@') || professional.Email.Any(char.IsWhiteSpace)))
            yield return ($"{prefix}.email", "must be an email address");
        if (fields.Contains("roles"))
        {
            if (professional.Roles.Count > MaxRoles)
                yield return ($"{prefix}.roles", $"must hold at most {MaxRoles} roles");
            foreach (var role in professional.Roles.Where(r => !DirectoryRoles.All.Contains(r)).Distinct())
                yield return ($"{prefix}.roles", $"\"{Truncate(role)}\" is not one of {string.Join(", ", DirectoryRoles.All.Order(StringComparer.Ordinal))}");
        }
        if (fields.Contains("line_manager") && professional.LineManager.Length > 0
            && !DirectoryNames.TryParseProfessional(professional.LineManager, out _, out _))
            yield return ($"{prefix}.line_manager", "must be a professional's name, \"agencies/{agency}/professionals/{professional}\"");
        if (fields.Contains("management_tier") && professional.ManagementTier is < 0 or > MaxManagementTier)
            yield return ($"{prefix}.management_tier", $"must be between 0 and {MaxManagementTier}");
        if (fields.Contains("unavailable_until") && professional.UnavailableUntil is { } until
            && (until.Seconds < Timestamp.FromDateTimeOffset(DateTimeOffset.UnixEpoch).Seconds || until.Nanos is < 0 or > 999_999_999
                || until.Seconds > Timestamp.FromDateTime(new DateTime(9999, 12, 31, 0, 0, 0, DateTimeKind.Utc)).Seconds))
            yield return ($"{prefix}.unavailable_until", "must be a valid time");
    }

    /// <summary>The stored agency: the named fields copied from <paramref name="source"/> over <paramref name="current"/>.</summary>
    public static Agency MergeAgency(Agency current, Agency source, IReadOnlyCollection<string> fields)
    {
        var merged = new Agency
        {
            Name = current.Name,
            DisplayName = fields.Contains("display_name") ? source.DisplayName.Trim() : current.DisplayName,
            Kind = fields.Contains("kind") ? source.Kind : current.Kind,
            RetireTime = current.RetireTime,
            CreateTime = current.CreateTime,
            UpdateTime = current.UpdateTime,
            Etag = current.Etag,
        };
        return merged;
    }

    public static Professional MergeProfessional(Professional current, Professional source, IReadOnlyCollection<string> fields)
    {
        var merged = new Professional
        {
            Name = current.Name,
            DisplayName = fields.Contains("display_name") ? source.DisplayName.Trim() : current.DisplayName,
            Email = fields.Contains("email") ? source.Email : current.Email,
            LineManager = fields.Contains("line_manager") ? source.LineManager : current.LineManager,
            ManagementTier = fields.Contains("management_tier") ? source.ManagementTier : current.ManagementTier,
            UnavailableUntil = fields.Contains("unavailable_until") ? source.UnavailableUntil?.Clone() : current.UnavailableUntil,
            RetireTime = current.RetireTime,
            CreateTime = current.CreateTime,
            UpdateTime = current.UpdateTime,
            Etag = current.Etag,
        };
        merged.Roles.Add(fields.Contains("roles") ? source.Roles.Distinct() : current.Roles);
        return merged;
    }

    /// <summary>The version an etag carries ("\"7\"" is 7); 0 when it is not one this service wrote.</summary>
    public static long VersionOf(string etag) =>
        etag.Length > 2 && etag[0] == '"' && etag[^1] == '"' && long.TryParse(etag[1..^1], out var version) ? version : 0;

    private static string Truncate(string value) => value.Length <= 40 ? value : value[..40] + "…";
}
