using System.Security.Claims;
using Grpc.Core;

namespace Disputes.ServiceDefaults.Identity;

/// <summary>Who is calling, from the validated token.</summary>
public sealed record Caller(string ProfessionalId, string AgencyId, IReadOnlySet<string> Roles)
{
    public bool HasRole(string role) => Roles.Contains(role);

    public static Caller From(ClaimsPrincipal user) => new(
        user.FindFirstValue(DisputeClaims.Subject) ?? "",
        user.FindFirstValue(DisputeClaims.Agency) ?? "",
        user.FindAll(DisputeClaims.Roles).Select(c => c.Value).ToHashSet(StringComparer.Ordinal));
}

public static class CallerExtensions
{
    public static Caller GetCaller(this ServerCallContext context) => Caller.From(context.GetHttpContext().User);
}
