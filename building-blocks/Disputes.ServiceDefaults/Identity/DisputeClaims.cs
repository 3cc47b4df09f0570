namespace Disputes.ServiceDefaults.Identity;

/// <summary>The claims a caller's token carries.</summary>
public static class DisputeClaims
{
    /// <summary>The professional's id.</summary>
    public const string Subject = "sub";

    /// <summary>The agency the professional acts for.</summary>
    public const string Agency = "agency";

    public const string Roles = "roles";
}
