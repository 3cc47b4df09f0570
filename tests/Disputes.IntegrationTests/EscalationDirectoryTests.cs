using Disputes.V1;
using Google.Protobuf.WellKnownTypes;
using Google.Rpc;
using Grpc.Core;

namespace Disputes.IntegrationTests;

/// <summary>The partnership directory and timescale policies over gRPC, against a real redis-server.</summary>
[Collection(RedisCollection.Name)]
public sealed class EscalationDirectoryTests(RedisServerFixture redis) : IAsyncLifetime
{
    private EscalationTestHost _host = null!;

    public async Task InitializeAsync()
    {
        await redis.FlushAsync();
        _host = await EscalationTestHost.StartAsync(redis);
    }

    public async Task DisposeAsync() => await _host.DisposeAsync();

    private EscalationService.EscalationServiceClient Client => _host.Client;

    private static async Task<RpcException> FailsAsync(Func<Task> call)
    {
        return await Assert.ThrowsAsync<RpcException>(call);
    }

    private static Professional Person(string displayName, string lineManager = "", int tier = 0, params string[] roles)
    {
        var professional = new Professional { DisplayName = displayName, Email = "person@agency.example", LineManager = lineManager, ManagementTier = tier };
        professional.Roles.Add(roles.Length > 0 ? roles : ["practitioner"]);
        return professional;
    }

    [Fact]
    public async Task The_partnership_sets_up_the_directory_and_everyone_reads_it()
    {
        var agency = await Client.CreateAgencyAsync(new CreateAgencyRequest
        {
            AgencyId = "police", Agency = new Agency { DisplayName = "Police", Kind = AgencyKind.Police, Etag = "ignored", RetireTime = Timestamp.FromDateTime(DateTime.UtcNow) },
        }, _host.Partnership);
        Assert.Equal("agencies/police", agency.Name);
        Assert.Equal("\"1\"", agency.Etag);
        Assert.Null(agency.RetireTime);

        var manager = await Client.CreateProfessionalAsync(new CreateProfessionalRequest
        {
            Parent = "agencies/police", ProfessionalId = "sgt-12", Professional = Person("Sgt", tier: 1, roles: "line_manager"),
        }, _host.Partnership);
        var officer = await Client.CreateProfessionalAsync(new CreateProfessionalRequest
        {
            Parent = "agencies/police", ProfessionalId = "pc-101", Professional = Person("PC", lineManager: manager.Name),
        }, _host.Partnership);
        Assert.Equal("agencies/police/professionals/pc-101", officer.Name);
        Assert.Null(officer.UnavailableUntil);

        var practitioner = _host.Bearer("sw-7", "childrens-social-care");
        Assert.Equal(officer, await Client.GetProfessionalAsync(new GetProfessionalRequest { Name = officer.Name }, practitioner));
        Assert.Equal(agency, await Client.GetAgencyAsync(new GetAgencyRequest { Name = "agencies/police" }, practitioner));

        var denied = await FailsAsync(() => Client.CreateAgencyAsync(new CreateAgencyRequest
        {
            AgencyId = "health", Agency = new Agency { DisplayName = "Health", Kind = AgencyKind.Health },
        }, practitioner).ResponseAsync);
        Assert.Equal(StatusCode.PermissionDenied, denied.StatusCode);

        var again = await FailsAsync(() => Client.CreateAgencyAsync(new CreateAgencyRequest
        {
            AgencyId = "police", Agency = new Agency { DisplayName = "Other", Kind = AgencyKind.Police },
        }, _host.Partnership).ResponseAsync);
        Assert.Equal(StatusCode.AlreadyExists, again.StatusCode);
        Assert.Equal("Police", (await Client.GetAgencyAsync(new GetAgencyRequest { Name = "agencies/police" }, practitioner)).DisplayName);
    }

    [Fact]
    public async Task Bad_entries_get_every_field_violation_at_once()
    {
        var bad = await FailsAsync(() => Client.CreateAgencyAsync(new CreateAgencyRequest
        {
            AgencyId = "Police Force", Agency = new Agency(),
        }, _host.Partnership).ResponseAsync);
        Assert.Equal(StatusCode.InvalidArgument, bad.StatusCode);
        var fields = bad.GetRpcStatus()!.GetDetail<BadRequest>().FieldViolations.Select(v => v.Field).ToArray();
        Assert.Equal(["agency_id", "agency.display_name", "agency.kind"], fields);

        await Client.CreateAgencyAsync(new CreateAgencyRequest { AgencyId = "police", Agency = new Agency { DisplayName = "Police", Kind = AgencyKind.Police } }, _host.Partnership);
        var professional = Person("PC", lineManager: "agencies/police/professionals/nobody");
        var missingManager = await FailsAsync(() => Client.CreateProfessionalAsync(new CreateProfessionalRequest
        {
            Parent = "agencies/police", ProfessionalId = "pc-101", Professional = professional,
        }, _host.Partnership).ResponseAsync);
        Assert.Equal(StatusCode.FailedPrecondition, missingManager.StatusCode);

        var noAgency = await FailsAsync(() => Client.CreateProfessionalAsync(new CreateProfessionalRequest
        {
            Parent = "agencies/health", ProfessionalId = "hv-5", Professional = Person("HV"),
        }, _host.Partnership).ResponseAsync);
        Assert.Equal(StatusCode.NotFound, noAgency.StatusCode);

        var badName = await FailsAsync(() => Client.GetProfessionalAsync(new GetProfessionalRequest { Name = "agencies/police/pc-101" }, _host.Partnership).ResponseAsync);
        Assert.Equal(StatusCode.InvalidArgument, badName.StatusCode);
    }

    [Fact]
    public async Task Updates_need_the_current_etag_and_retiring_keeps_the_record_but_stops_listing_it()
    {
        await Client.CreateAgencyAsync(new CreateAgencyRequest { AgencyId = "health", Agency = new Agency { DisplayName = "Health", Kind = AgencyKind.Health } }, _host.Partnership);
        var chair = await Client.CreateProfessionalAsync(new CreateProfessionalRequest
        {
            Parent = "agencies/health", ProfessionalId = "chair-health", Professional = Person("Chair", tier: 3, roles: "independent_chair"),
        }, _host.Partnership);

        var away = chair.Clone();
        away.UnavailableUntil = Timestamp.FromDateTimeOffset(DateTimeOffset.UtcNow.AddDays(14));
        var updated = await Client.UpdateProfessionalAsync(new UpdateProfessionalRequest
        {
            Professional = away, UpdateMask = new FieldMask { Paths = { "unavailable_until" } },
        }, _host.Partnership);
        Assert.Equal(away.UnavailableUntil, updated.UnavailableUntil);
        Assert.Equal("\"2\"", updated.Etag);

        var stale = await FailsAsync(() => Client.UpdateProfessionalAsync(new UpdateProfessionalRequest { Professional = away }, _host.Partnership).ResponseAsync);
        Assert.Equal(StatusCode.Aborted, stale.StatusCode);

        var unknownPath = await FailsAsync(() => Client.UpdateProfessionalAsync(new UpdateProfessionalRequest
        {
            Professional = updated, UpdateMask = new FieldMask { Paths = { "name" } },
        }, _host.Partnership).ResponseAsync);
        Assert.Equal(StatusCode.InvalidArgument, unknownPath.StatusCode);

        var retired = await Client.RetireProfessionalAsync(new RetireProfessionalRequest { Name = chair.Name, Etag = updated.Etag }, _host.Partnership);
        Assert.NotNull(retired.RetireTime);
        Assert.Equal(retired, await Client.GetProfessionalAsync(new GetProfessionalRequest { Name = chair.Name }, _host.Partnership));
        Assert.Empty((await Client.ListProfessionalsAsync(new ListProfessionalsRequest { Parent = "agencies/health" }, _host.Partnership)).Professionals);
        Assert.Single((await Client.ListProfessionalsAsync(new ListProfessionalsRequest { Parent = "agencies/health", ShowRetired = true }, _host.Partnership)).Professionals);
    }

    [Fact]
    public async Task A_management_chain_cannot_become_a_cycle_and_a_retired_agency_takes_no_one_new()
    {
        await Client.CreateAgencyAsync(new CreateAgencyRequest { AgencyId = "police", Agency = new Agency { DisplayName = "Police", Kind = AgencyKind.Police } }, _host.Partnership);
        var top = await Client.CreateProfessionalAsync(new CreateProfessionalRequest { Parent = "agencies/police", ProfessionalId = "supt-3", Professional = Person("Supt", tier: 3) }, _host.Partnership);
        await Client.CreateProfessionalAsync(new CreateProfessionalRequest { Parent = "agencies/police", ProfessionalId = "insp-21", Professional = Person("Insp", top.Name, 2) }, _host.Partnership);

        var cycle = top.Clone();
        cycle.LineManager = "agencies/police/professionals/insp-21";
        var refused = await FailsAsync(() => Client.UpdateProfessionalAsync(new UpdateProfessionalRequest
        {
            Professional = cycle, UpdateMask = new FieldMask { Paths = { "line_manager" } },
        }, _host.Partnership).ResponseAsync);
        Assert.Equal(StatusCode.FailedPrecondition, refused.StatusCode);
        Assert.Equal("MANAGEMENT_CHAIN_CYCLE", refused.GetRpcStatus()!.GetDetail<PreconditionFailure>().Violations[0].Type);

        var agency = await Client.GetAgencyAsync(new GetAgencyRequest { Name = "agencies/police" }, _host.Partnership);
        var retired = await Client.RetireAgencyAsync(new RetireAgencyRequest { Name = agency.Name, Etag = agency.Etag }, _host.Partnership);
        Assert.NotNull(retired.RetireTime);
        var closed = await FailsAsync(() => Client.CreateProfessionalAsync(new CreateProfessionalRequest
        {
            Parent = "agencies/police", ProfessionalId = "pc-9", Professional = Person("PC"),
        }, _host.Partnership).ResponseAsync);
        Assert.Equal(StatusCode.FailedPrecondition, closed.StatusCode);
        Assert.Empty((await Client.ListAgenciesAsync(new ListAgenciesRequest(), _host.Partnership)).Agencies);
    }

    [Fact]
    public async Task Lists_page_with_tokens()
    {
        foreach (var id in new[] { "a-agency", "b-agency", "c-agency" })
            await Client.CreateAgencyAsync(new CreateAgencyRequest { AgencyId = id, Agency = new Agency { DisplayName = id, Kind = AgencyKind.Other } }, _host.Partnership);

        var first = await Client.ListAgenciesAsync(new ListAgenciesRequest { PageSize = 2 }, _host.Partnership);
        var second = await Client.ListAgenciesAsync(new ListAgenciesRequest { PageSize = 2, PageToken = first.NextPageToken }, _host.Partnership);

        Assert.Equal(["agencies/a-agency", "agencies/b-agency"], first.Agencies.Select(a => a.Name));
        Assert.Equal(["agencies/c-agency"], second.Agencies.Select(a => a.Name));
        Assert.Equal("", second.NextPageToken);
    }

    [Fact]
    public async Task Loading_the_demo_directory_twice_changes_nothing()
    {
        var created = await _host.LoadDemoDirectoryAsync();
        var before = await Client.GetProfessionalAsync(new GetProfessionalRequest { Name = "agencies/police/professionals/pc-101" }, _host.Partnership);

        Assert.True(created > 10);
        Assert.Equal(0, await _host.LoadDemoDirectoryAsync());
        Assert.Equal(before, await Client.GetProfessionalAsync(new GetProfessionalRequest { Name = "agencies/police/professionals/pc-101" }, _host.Partnership));
        Assert.Equal("agencies/police/professionals/sgt-12", before.LineManager);
    }

    [Fact]
    public async Task A_bad_entry_in_a_directory_file_is_skipped_and_the_rest_loaded()
    {
        const string yaml = """
            agencies:
              - { id: "Not An Id", displayName: Bad, kind: police }
              - id: health
                displayName: Health
                kind: health
                professionals:
                  - { id: hv-5, displayName: HV, roles: [practitioner], lineManager: sn-1 }
                  - { id: sn-1, displayName: Nurse, roles: [line_manager, admin], managementTier: 1 }
                  - { id: sw-9, displayName: Orphan, roles: [practitioner], lineManager: nobody }
                  - { id: dsl-1, displayName: Lead, roles: [safeguarding_lead], managementTier: 1 }
            """;

        var created = await _host.Get<Disputes.Escalation.Directory.DirectoryLoader>().LoadAsync(yaml);

        // The agency and the lead; the nurse has an unknown role, so the visitor waiting for them and the orphan are skipped too.
        Assert.Equal(2, created);
        var listed = await Client.ListProfessionalsAsync(new ListProfessionalsRequest { Parent = "agencies/health" }, _host.Partnership);
        Assert.Equal(["agencies/health/professionals/dsl-1"], listed.Professionals.Select(p => p.Name));
    }

    [Fact]
    public async Task Timescale_policies_are_versioned_and_a_new_version_leaves_the_old_ones()
    {
        await Eventually.HoldsAsync(async () => (await Client.ListTimescalePolicyVersionsAsync(
            new ListTimescalePolicyVersionsRequest { Name = "timescalePolicies/default" }, _host.Partnership)).Policies.Count == 1, "the default is stored");
        var asked = new TimescalePolicy
        {
            Name = "timescalePolicies/default", Version = 99, AcknowledgementWorkingDays = 2, ProfessionalDiscussionWorkingDays = 5,
            LineManagersWorkingDays = 5, SeniorManagersWorkingDays = 5, PartnershipMeetingWorkingDays = 10, IroTotalWorkingDays = 20,
            ReminderWorkingDays = 1, AutoEscalate = true, AutoEscalateAfterWorkingDays = 3,
        };

        var created = await Client.CreateTimescalePolicyVersionAsync(new CreateTimescalePolicyVersionRequest { Policy = asked }, _host.Partnership);

        Assert.Equal(2, created.Version);
        Assert.Equal(created, await Client.GetTimescalePolicyAsync(new GetTimescalePolicyRequest { Name = "timescalePolicies/default" }, _host.Partnership));
        Assert.Equal(1, (await Client.GetTimescalePolicyAsync(new GetTimescalePolicyRequest { Name = "timescalePolicies/default", Version = 1 }, _host.Partnership)).AcknowledgementWorkingDays);
        Assert.Equal([2, 1], (await Client.ListTimescalePolicyVersionsAsync(new ListTimescalePolicyVersionsRequest { Name = "timescalePolicies/default" }, _host.Partnership))
            .Policies.Select(p => p.Version));

        var invalid = asked.Clone();
        invalid.AcknowledgementWorkingDays = -1;
        var bad = await FailsAsync(() => Client.CreateTimescalePolicyVersionAsync(new CreateTimescalePolicyVersionRequest { Policy = invalid }, _host.Partnership).ResponseAsync);
        Assert.Equal(StatusCode.InvalidArgument, bad.StatusCode);
        var denied = await FailsAsync(() => Client.CreateTimescalePolicyVersionAsync(new CreateTimescalePolicyVersionRequest { Policy = asked }, _host.Bearer("pc-101", "police")).ResponseAsync);
        Assert.Equal(StatusCode.PermissionDenied, denied.StatusCode);
    }
}
