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
[Collection(TimescaleSuiteCollection.Name)]
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

    [Fact]
    public async Task A_missed_acknowledgement_alerts_the_receiving_line_manager_after_the_escalation_service_restarts()
    {
        var (police, socialCare) = await SetUpDirectoryAsync();
        var referrer = suite.Bearer("pc-1", police);
        // A raise takes the newest version of the default policy: a version whose acknowledgement is
        // due at the raise (0 working days), put back to the previous timescales afterwards.
        var policyName = new GetTimescalePolicyRequest { Name = "timescalePolicies/default" };
        var previous = await _escalations.GetTimescalePolicyAsync(policyName, Partnership);
        var immediate = previous.Clone();
        immediate.AcknowledgementWorkingDays = 0;
        immediate.ReminderWorkingDays = 0;
        var created = await _escalations.CreateTimescalePolicyVersionAsync(new CreateTimescalePolicyVersionRequest { Policy = immediate }, Partnership);
        try
        {
            Disputes.V1.Challenge? raised = null;
            // Raised while escalation is down: it opens the escalation from the event after the restart,
            // and the acknowledgement timer, already due, fires late rather than never.
            await suite.CrashAndRestartAsync("escalation", async () =>
            {
                var raise = DisputeLifecycleTests.NewRaise();
                raise.Challenge.ReceivingParty = new Party { AgencyId = socialCare, ProfessionalId = "sw-1", Role = "social worker" };
                raised = await _challenges.RaiseChallengeAsync(raise, referrer);
            });

            var name = raised!.Name + "/escalation";
            var escalation = await Until(() => _escalations.GetEscalationAsync(new GetEscalationRequest { Name = name }, referrer).ResponseAsync);
            Assert.Equal($"timescalePolicies/default@{created.Version}", escalation.Policy);
            Assert.Equal(raised.CreateTime.ToDateTimeOffset(), escalation.AcknowledgementDueTime.ToDateTimeOffset(), TimeSpan.FromSeconds(1));

            var deadline = DateTime.UtcNow.AddSeconds(30);
            while (escalation.Breaches.Count == 0 && DateTime.UtcNow < deadline)
            {
                await Task.Delay(200);
                escalation = await _escalations.GetEscalationAsync(new GetEscalationRequest { Name = name }, referrer);
            }
            var breach = Assert.Single(escalation.Breaches);
            Assert.Equal("acknowledgement", breach.Timescale);

            // The receiving professional's line manager is told, on the receiving agency's deliveries.
            var alert = await DeliveryAsync(raised.Name, socialCare,
                d => d.RecipientRole == RecipientRole.LineManager && d.Recipient.ProfessionalId == "tm-1");
            Assert.Equal(socialCare, alert.Recipient.AgencyId);
            Assert.Equal(Stage.ProfessionalDiscussion, alert.Stage);
        }
        finally
        {
            var restored = previous.Clone();
            await _escalations.CreateTimescalePolicyVersionAsync(new CreateTimescalePolicyVersionRequest { Policy = restored }, Partnership);
        }
    }

    private async Task<Delivery> DeliveryAsync(string challenge, string agency, Func<Delivery, bool> match)
    {
        var notifications = new NotificationService.NotificationServiceClient(suite.Gateway);
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            var list = await notifications.ListDeliveriesAsync(new ListDeliveriesRequest { Parent = challenge, PageSize = 100 }, suite.Bearer("sw-1", agency));
            if (list.Deliveries.FirstOrDefault(match) is { } found)
                return found;
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"No delivery to the line manager of {challenge}: {list.Deliveries}\n{suite.OutputOf("notification")}\n{suite.OutputOf("escalation")}");
            await Task.Delay(200);
        }
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
