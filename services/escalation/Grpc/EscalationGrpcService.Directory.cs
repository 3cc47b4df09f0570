using Disputes.Escalation.Domain;
using Disputes.Procedure;
using Disputes.ServiceDefaults.Grpc;
using Disputes.ServiceDefaults.Identity;
using Disputes.V1;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;

namespace Disputes.Escalation.Grpc;

/// <summary>The partnership directory and the timescale policies: anyone may read; the partnership changes them.</summary>
public sealed partial class EscalationGrpcService
{
    private const int MaxPolicyAttempts = 5;

    public override async Task<Agency> CreateAgency(CreateAgencyRequest request, ServerCallContext context)
    {
        RequirePartnership(context);
        var (agency, created) = await commands.CreateAgencyAsync(request.AgencyId, request.Agency ?? new Agency());
        return created ? agency : throw AlreadyExists(agency.Name);
    }

    public override async Task<Agency> GetAgency(GetAgencyRequest request, ServerCallContext context)
    {
        var agencyId = AgencyIdOf(request.Name, "name");
        return (await directory.GetAgencyAsync(agencyId))?.Agency ?? throw RpcErrors.NotFound(request.Name);
    }

    public override async Task<ListAgenciesResponse> ListAgencies(ListAgenciesRequest request, ServerCallContext context)
    {
        var size = PageTokens.SizeOf(request.PageSize);
        var after = PageTokens.Decode(request.PageToken);
        if (after is not null && !DirectoryNames.IsAgencyId(after))
            throw RpcErrors.InvalidArgument("page_token", "is not a page token this API returned");
        var agencies = await directory.ListAgenciesAsync(after, size);
        return new ListAgenciesResponse
        {
            Agencies = { agencies.Where(a => request.ShowRetired || a.RetireTime is null) },
            NextPageToken = agencies.Count < size ? "" : PageTokens.Encode(DirectoryNames.AgencyIdOf(agencies[^1].Name)),
        };
    }

    public override async Task<Agency> UpdateAgency(UpdateAgencyRequest request, ServerCallContext context)
    {
        RequirePartnership(context);
        var agencyId = AgencyIdOf(request.Agency?.Name, "agency.name");
        var fields = FieldsOf(request.UpdateMask, DirectoryEntries.AgencyFields);
        return await commands.UpdateAgencyAsync(agencyId, request.Agency!, fields);
    }

    public override async Task<Agency> RetireAgency(RetireAgencyRequest request, ServerCallContext context)
    {
        RequirePartnership(context);
        return await commands.RetireAgencyAsync(AgencyIdOf(request.Name, "name"), request.Etag);
    }

    public override async Task<Professional> CreateProfessional(CreateProfessionalRequest request, ServerCallContext context)
    {
        RequirePartnership(context);
        var agencyId = AgencyIdOf(request.Parent, "parent");
        var (professional, created) = await commands.CreateProfessionalAsync(agencyId, request.ProfessionalId, request.Professional ?? new Professional());
        return created ? professional : throw AlreadyExists(professional.Name);
    }

    public override async Task<Professional> GetProfessional(GetProfessionalRequest request, ServerCallContext context)
    {
        var (agencyId, professionalId) = ProfessionalIdOf(request.Name, "name");
        return (await directory.GetProfessionalAsync(agencyId, professionalId))?.Professional ?? throw RpcErrors.NotFound(request.Name);
    }

    public override async Task<ListProfessionalsResponse> ListProfessionals(ListProfessionalsRequest request, ServerCallContext context)
    {
        var agencyId = AgencyIdOf(request.Parent, "parent");
        var size = PageTokens.SizeOf(request.PageSize);
        var after = PageTokens.Decode(request.PageToken);
        if (after is not null && !DirectoryNames.IsProfessionalId(after))
            throw RpcErrors.InvalidArgument("page_token", "is not a page token this API returned");
        if (await directory.GetAgencyAsync(agencyId) is null)
            throw RpcErrors.NotFound(request.Parent);
        var professionals = await directory.ListProfessionalsAsync(agencyId, after, size);
        return new ListProfessionalsResponse
        {
            Professionals = { professionals.Where(p => request.ShowRetired || p.RetireTime is null) },
            NextPageToken = professionals.Count < size ? "" : PageTokens.Encode(DirectoryNames.ProfessionalIdOf(professionals[^1].Name)),
        };
    }

    public override async Task<Professional> UpdateProfessional(UpdateProfessionalRequest request, ServerCallContext context)
    {
        RequirePartnership(context);
        var (agencyId, professionalId) = ProfessionalIdOf(request.Professional?.Name, "professional.name");
        var fields = FieldsOf(request.UpdateMask, DirectoryEntries.ProfessionalFields);
        return await commands.UpdateProfessionalAsync(agencyId, professionalId, request.Professional!, fields);
    }

    public override async Task<Professional> RetireProfessional(RetireProfessionalRequest request, ServerCallContext context)
    {
        RequirePartnership(context);
        var (agencyId, professionalId) = ProfessionalIdOf(request.Name, "name");
        return await commands.RetireProfessionalAsync(agencyId, professionalId, request.Etag);
    }

    public override async Task<TimescalePolicy> CreateTimescalePolicyVersion(CreateTimescalePolicyVersionRequest request, ServerCallContext context)
    {
        RequirePartnership(context);
        var asked = request.Policy ?? new TimescalePolicy();
        var violations = new FieldViolations();
        foreach (var (field, description) in TimescalePolicies.Validate(asked))
            violations.Add(field, description);
        violations.ThrowIfAny();
        TimescalePolicies.TryParseName(asked.Name, out var policyId);
        if (policyId == "default")
            await policies.EnsureDefaultAsync();
        for (var attempt = 1; ; attempt++)
        {
            var version = (int)await policies.CountAsync(policyId) + 1;
            var policy = TimescalePolicies.NewVersion(asked, version, time.GetUtcNow());
            if (await policies.AppendAsync(policyId, policy))
                return policy;
            if (attempt == MaxPolicyAttempts)
                throw new RpcException(new Status(StatusCode.Aborted, $"{asked.Name} kept changing; try again."));
        }
    }

    public override async Task<TimescalePolicy> GetTimescalePolicy(GetTimescalePolicyRequest request, ServerCallContext context)
    {
        var violations = new FieldViolations();
        if (!TimescalePolicies.TryParseName(request.Name, out var policyId))
            violations.Add("name", "must be \"timescalePolicies/{policy}\"");
        if (request.Version < 0)
            violations.Add("version", "must not be negative (0 for the newest)");
        violations.ThrowIfAny();
        return await policies.GetAsync(policyId, request.Version)
            ?? (policyId == "default" && request.Version is 0 or 1 ? TimescalePolicies.Default : null)
            ?? throw RpcErrors.NotFound(request.Version == 0 ? request.Name : $"{request.Name}@{request.Version}");
    }

    public override async Task<ListTimescalePolicyVersionsResponse> ListTimescalePolicyVersions(ListTimescalePolicyVersionsRequest request, ServerCallContext context)
    {
        if (!TimescalePolicies.TryParseName(request.Name, out var policyId))
            throw RpcErrors.InvalidArgument("name", "must be \"timescalePolicies/{policy}\"");
        var size = PageTokens.SizeOf(request.PageSize);
        var below = 0;
        if (PageTokens.Decode(request.PageToken) is { } token && (!int.TryParse(token, out below) || below <= 1))
            throw RpcErrors.InvalidArgument("page_token", "is not a page token this API returned");
        var versions = await policies.ListAsync(policyId, below, size);
        if (versions.Count == 0 && below == 0)
            return policyId == "default"
                ? new ListTimescalePolicyVersionsResponse { Policies = { TimescalePolicies.Default } }
                : throw RpcErrors.NotFound(request.Name);
        return new ListTimescalePolicyVersionsResponse
        {
            Policies = { versions },
            NextPageToken = versions.Count == size && versions[^1].Version > 1 ? PageTokens.Encode(versions[^1].Version.ToString()) : "",
        };
    }

    private static void RequirePartnership(ServerCallContext context)
    {
        if (!context.GetCaller().HasRole(DisputeRoles.Partnership))
            throw RpcErrors.PermissionDenied("Only the partnership changes the partnership directory and its timescale policies.");
    }

    private static RpcException AlreadyExists(string name) =>
        new(new Status(StatusCode.AlreadyExists, $"{name} already exists; update it instead."));

    private static string AgencyIdOf(string? name, string field) =>
        DirectoryNames.TryParseAgency(name, out var agencyId)
            ? agencyId
            : throw RpcErrors.InvalidArgument(field, "must be an agency's name, \"agencies/{agency}\"");

    private static (string AgencyId, string ProfessionalId) ProfessionalIdOf(string? name, string field) =>
        DirectoryNames.TryParseProfessional(name, out var agencyId, out var professionalId)
            ? (agencyId, professionalId)
            : throw RpcErrors.InvalidArgument(field, "must be a professional's name, \"agencies/{agency}/professionals/{professional}\"");

    /// <summary>The fields an update mask names (all updatable ones when empty); an unknown path is INVALID_ARGUMENT.</summary>
    private static IReadOnlyCollection<string> FieldsOf(FieldMask? mask, IReadOnlyList<string> updatable)
    {
        if (mask is null || mask.Paths.Count == 0)
            return updatable;
        var unknown = mask.Paths.Where(p => !updatable.Contains(p)).ToArray();
        return unknown.Length > 0
            ? throw RpcErrors.InvalidArgument("update_mask", $"{string.Join(", ", unknown)} cannot be updated; updatable: {string.Join(", ", updatable)}")
            : mask.Paths.ToHashSet(StringComparer.Ordinal);
    }
}
