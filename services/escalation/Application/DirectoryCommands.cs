using Disputes.Escalation.Domain;
using Disputes.Escalation.Storage;
using Disputes.ServiceDefaults.Grpc;
using Disputes.V1;
using Google.Protobuf.WellKnownTypes;

namespace Disputes.Escalation.Application;

/// <summary>
/// Changes to the partnership directory, shared by the API and the loading of a directory
/// file: validated field by field, stored as allowlist copies, never deleted.
/// </summary>
public sealed class DirectoryCommands(DirectoryStore store, TimeProvider time)
{
    private const int MaxAttempts = 5;

    /// <summary>Creates the agency; false when it already exists (nothing is changed).</summary>
    public async Task<(Agency Agency, bool Created)> CreateAgencyAsync(string agencyId, Agency asked, string field = "agency")
    {
        var violations = new FieldViolations();
        if (!DirectoryNames.IsAgencyId(agencyId))
            violations.Add("agency_id", "must be 1 to 63 lower-case letters, digits and hyphens, starting with a letter or digit");
        foreach (var (f, d) in DirectoryEntries.ValidateAgency(asked, field, DirectoryEntries.AgencyFields))
            violations.Add(f, d);
        violations.ThrowIfAny();

        var now = Timestamp.FromDateTimeOffset(time.GetUtcNow());
        var agency = DirectoryEntries.MergeAgency(new Agency { Name = DirectoryNames.Agency(agencyId) }, asked, DirectoryEntries.AgencyFields);
        agency.CreateTime = now;
        agency.UpdateTime = now;
        agency.Etag = Etags.Of(1);
        if (await store.CreateAgencyAsync(agencyId, agency))
            return (agency, true);
        var existing = await store.GetAgencyAsync(agencyId);
        return (existing?.Agency ?? agency, false);
    }

    public async Task<(Professional Professional, bool Created)> CreateProfessionalAsync(string agencyId, string professionalId, Professional asked,
        string field = "professional")
    {
        var violations = new FieldViolations();
        if (!DirectoryNames.IsProfessionalId(professionalId))
            violations.Add("professional_id", "must be the professional's token subject: 1 to 128 letters, digits and ._@- (no slash)");
        foreach (var (f, d) in DirectoryEntries.ValidateProfessional(asked, field, DirectoryEntries.ProfessionalFields))
            violations.Add(f, d);
        violations.ThrowIfAny();

        await RequireActiveAgencyAsync(agencyId);
        var name = DirectoryNames.Professional(agencyId, professionalId);
        await RequireLineManagerAsync(name, asked.LineManager, $"{field}.line_manager");

        var now = Timestamp.FromDateTimeOffset(time.GetUtcNow());
        var professional = DirectoryEntries.MergeProfessional(new Professional { Name = name }, asked, DirectoryEntries.ProfessionalFields);
        professional.CreateTime = now;
        professional.UpdateTime = now;
        professional.Etag = Etags.Of(1);
        if (await store.CreateProfessionalAsync(agencyId, professionalId, professional))
            return (professional, true);
        var existing = await store.GetProfessionalAsync(agencyId, professionalId);
        return (existing?.Professional ?? professional, false);
    }

    public async Task<Agency> UpdateAgencyAsync(string agencyId, Agency asked, IReadOnlyCollection<string> fields)
    {
        var violations = new FieldViolations();
        foreach (var (f, d) in DirectoryEntries.ValidateAgency(asked, "agency", fields))
            violations.Add(f, d);
        violations.ThrowIfAny();
        return await ReplaceAgencyAsync(agencyId, asked.Etag, current => DirectoryEntries.MergeAgency(current, asked, fields));
    }

    public Task<Agency> RetireAgencyAsync(string agencyId, string etag) =>
        ReplaceAgencyAsync(agencyId, etag, current =>
        {
            var retired = current.Clone();
            retired.RetireTime ??= Timestamp.FromDateTimeOffset(time.GetUtcNow());
            return retired;
        });

    public async Task<Professional> UpdateProfessionalAsync(string agencyId, string professionalId, Professional asked, IReadOnlyCollection<string> fields)
    {
        var violations = new FieldViolations();
        foreach (var (f, d) in DirectoryEntries.ValidateProfessional(asked, "professional", fields))
            violations.Add(f, d);
        violations.ThrowIfAny();
        if (fields.Contains("line_manager"))
            await RequireLineManagerAsync(DirectoryNames.Professional(agencyId, professionalId), asked.LineManager, "professional.line_manager");
        return await ReplaceProfessionalAsync(agencyId, professionalId, asked.Etag, current => DirectoryEntries.MergeProfessional(current, asked, fields));
    }

    public Task<Professional> RetireProfessionalAsync(string agencyId, string professionalId, string etag) =>
        ReplaceProfessionalAsync(agencyId, professionalId, etag, current =>
        {
            var retired = current.Clone();
            retired.RetireTime ??= Timestamp.FromDateTimeOffset(time.GetUtcNow());
            return retired;
        });

    private async Task<Agency> ReplaceAgencyAsync(string agencyId, string etag, Func<Agency, Agency> change)
    {
        var name = DirectoryNames.Agency(agencyId);
        for (var attempt = 1; ; attempt++)
        {
            var (current, stored) = await store.GetAgencyAsync(agencyId) ?? throw RpcErrors.NotFound(name);
            if (etag.Length > 0 && etag != current.Etag)
                throw RpcErrors.StaleEtag(name);
            var updated = change(current);
            updated.Etag = Etags.Of(DirectoryEntries.VersionOf(current.Etag) + 1);
            updated.UpdateTime = Timestamp.FromDateTimeOffset(time.GetUtcNow());
            if (await store.ReplaceAgencyAsync(agencyId, stored, updated))
                return updated;
            // Changed meanwhile: with an etag that is stale now; without one, apply to the new state.
            if (etag.Length > 0 || attempt == MaxAttempts)
                throw RpcErrors.StaleEtag(name);
        }
    }

    private async Task<Professional> ReplaceProfessionalAsync(string agencyId, string professionalId, string etag, Func<Professional, Professional> change)
    {
        var name = DirectoryNames.Professional(agencyId, professionalId);
        for (var attempt = 1; ; attempt++)
        {
            var (current, stored) = await store.GetProfessionalAsync(agencyId, professionalId) ?? throw RpcErrors.NotFound(name);
            if (etag.Length > 0 && etag != current.Etag)
                throw RpcErrors.StaleEtag(name);
            var updated = change(current);
            updated.Etag = Etags.Of(DirectoryEntries.VersionOf(current.Etag) + 1);
            updated.UpdateTime = Timestamp.FromDateTimeOffset(time.GetUtcNow());
            if (await store.ReplaceProfessionalAsync(agencyId, professionalId, stored, updated))
                return updated;
            if (etag.Length > 0 || attempt == MaxAttempts)
                throw RpcErrors.StaleEtag(name);
        }
    }

    private async Task RequireActiveAgencyAsync(string agencyId)
    {
        var agency = await store.GetAgencyAsync(agencyId) ?? throw RpcErrors.NotFound(DirectoryNames.Agency(agencyId));
        if (agency.Agency.RetireTime is not null)
            throw RpcErrors.FailedPrecondition(agency.Agency.Name, "RETIRED", $"{agency.Agency.Name} is retired; no professional can be added to it.");
    }

    /// <summary>The line manager must be an active professional, and not lead back to the professional (no cycles).</summary>
    private async Task RequireLineManagerAsync(string name, string lineManager, string field)
    {
        if (lineManager.Length == 0)
            return;
        if (lineManager == name)
            throw RpcErrors.InvalidArgument(field, "must not be the professional themself");
        var next = lineManager;
        for (var depth = 0; next.Length > 0 && depth < PartnershipDirectory.MaxChainLength; depth++)
        {
            DirectoryNames.TryParseProfessional(next, out var agencyId, out var professionalId);
            var manager = await store.GetProfessionalAsync(agencyId, professionalId);
            if (manager is null)
            {
                if (depth == 0)
                    throw RpcErrors.FailedPrecondition(lineManager, "LINE_MANAGER_NOT_FOUND", $"{lineManager} is not in the directory.");
                return;
            }
            if (depth == 0 && manager.Value.Professional.RetireTime is not null)
                throw RpcErrors.FailedPrecondition(lineManager, "RETIRED", $"{lineManager} is retired.");
            if (manager.Value.Professional.LineManager == name)
                throw RpcErrors.FailedPrecondition(lineManager, "MANAGEMENT_CHAIN_CYCLE", $"{lineManager} is managed (directly or not) by {name}: the chain would be a cycle.");
            next = manager.Value.Professional.LineManager;
        }
    }
}
