using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Disputes.V1;
using Google.Rpc;
using Grpc.Core;

namespace Disputes.EndToEndTests;

/// <summary>
/// Escalation through the gateway: the partnership sets up the directory, a challenge raised
/// between two of its agencies is routed to the two professionals, and an independent chair
/// cannot be appointed before stage 4.
/// </summary>
[Collection(SuiteCollection.Name)]
public sealed class EscalationTests(SuiteFixture suite)
{
    private readonly ChallengeService.ChallengeServiceClient _challenges = new(suite.Gateway);
    private readonly EscalationService.EscalationServiceClient _escalations = new(suite.Gateway);

    private Metadata Partnership => suite.Bearer("scp-1", "safeguarding-partnership", "partnership");

    private async Task<(string Police, string SocialCare)> SetUpDirectoryAsync()
    {
        var suffix = Guid.NewGuid().ToString("N")[..8];
        var (police, socialCare) = ($"police-{suffix}", $"csc-{suffix}");
        await _escalations.CreateAgencyAsync(new CreateAgencyRequest { AgencyId = police, Agency = new Agency { DisplayName = "Police", Kind = AgencyKind.Police } }, Partnership);
        await _escalations.CreateAgencyAsync(new CreateAgencyRequest { AgencyId = socialCare, Agency = new Agency { DisplayName = "Social care", Kind = AgencyKind.ChildrensSocialCare } }, Partnership);
        await CreateAsync(police, "sgt-1", 1, "", "line_manager");
        await CreateAsync(police, "pc-1", 0, $"agencies/{police}/professionals/sgt-1", "practitioner");
        await CreateAsync(socialCare, "tm-1", 1, "", "line_manager");
        await CreateAsync(socialCare, "sw-1", 0, $"agencies/{socialCare}/professionals/tm-1", "practitioner");
        await CreateAsync(socialCare, "iro-1", 1, "", "iro");
        return (police, socialCare);
    }

    private Task<Professional> CreateAsync(string agency, string id, int tier, string lineManager, string role) =>
        _escalations.CreateProfessionalAsync(new CreateProfessionalRequest
        {
            Parent = $"agencies/{agency}",
            ProfessionalId = id,
            Professional = new Professional { DisplayName = id, Email = $"{id}@{agency}.example", ManagementTier = tier, LineManager = lineManager, Roles = { role } },
        }, Partnership).ResponseAsync;

    [Fact]
    public async Task The_partnership_sets_up_the_directory_and_a_raised_challenge_is_routed_to_the_two_professionals()
    {
        var (police, socialCare) = await SetUpDirectoryAsync();
        var referrer = suite.Bearer("pc-1", police);

        var refused = await Assert.ThrowsAsync<RpcException>(() => _escalations.CreateAgencyAsync(new CreateAgencyRequest
        {
            AgencyId = "not-allowed", Agency = new Agency { DisplayName = "x", Kind = AgencyKind.Other },
        }, referrer).ResponseAsync);
        Assert.Equal(StatusCode.PermissionDenied, refused.StatusCode);

        var raise = DisputeLifecycleTests.NewRaise();
        raise.Challenge.ReceivingParty = new Party { AgencyId = socialCare, ProfessionalId = "sw-1", Role = "social worker" };
        raise.Challenge.Child.LocalAuthorityId = socialCare;
        var raised = await _challenges.RaiseChallengeAsync(raise, referrer);

        var escalation = await Until(() => _escalations.GetEscalationAsync(new GetEscalationRequest { Name = raised.Name + "/escalation" }, referrer).ResponseAsync);
        Assert.Equal(Stage.ProfessionalDiscussion, escalation.Stage);
        Assert.Equal(["Referrer:pc-1", "ReceivingProfessional:sw-1"],
            escalation.ResponsibleParties.Select(p => $"{p.Responsibility}:{p.Party.ProfessionalId}"));
        Assert.Equal("raised", Assert.Single(escalation.History).Change);

        // The local authority's IRO may read the looked-after child's escalation; another agency may not.
        var iro = suite.Bearer("iro-1", socialCare, "iro");
        Assert.Equal(escalation.Name, (await _escalations.GetEscalationAsync(new GetEscalationRequest { Name = escalation.Name }, iro)).Name);
        var stranger = await Assert.ThrowsAsync<RpcException>(() =>
            _escalations.GetEscalationAsync(new GetEscalationRequest { Name = escalation.Name }, suite.Bearer("hv-1", "health")).ResponseAsync);
        Assert.Equal(StatusCode.PermissionDenied, stranger.StatusCode);

        var tooEarly = await Assert.ThrowsAsync<RpcException>(() =>
            _escalations.AppointIndependentChairAsync(new AppointIndependentChairRequest { Name = escalation.Name }, Partnership).ResponseAsync);
        Assert.Equal(StatusCode.FailedPrecondition, tooEarly.StatusCode);
        Assert.Equal("STAGE", tooEarly.GetRpcStatus()!.GetDetail<PreconditionFailure>().Violations[0].Type);
    }

    [Fact]
    public async Task The_directory_is_read_over_REST_through_the_gateway()
    {
        var (police, _) = await SetUpDirectoryAsync();
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{suite.GatewayHttpPort}") };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", suite.Token("sw-1", "childrens-social-care"));

        using var response = await http.GetAsync($"/v1/agencies/{police}/professionals/pc-1");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal($"agencies/{police}/professionals/sgt-1", json.RootElement.GetProperty("lineManager").GetString());
    }

    private static async Task<T> Until<T>(Func<Task<T>> read)
    {
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (true)
        {
            try
            {
                return await read();
            }
            catch (RpcException e) when (e.StatusCode == StatusCode.NotFound && DateTime.UtcNow < deadline)
            {
                await Task.Delay(50);
            }
        }
    }
}
