using Disputes.V1;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using static Disputes.EndToEndTests.ProcedurePathTests;

namespace Disputes.EndToEndTests;

/// <summary>
/// What the access rows are about, raised once per suite by the parties of a directory of their
/// own (agency ids ending in <c>-abuse</c>, so the rows can name their callers up front).
/// </summary>
/// <param name="Name">Stage 1, awaiting acknowledgement: no row changes it.</param>
/// <param name="AtLineManagers">Stage 2, awaiting the raising line manager's review.</param>
/// <param name="AtSeniorManagers">Stage 3, tier 1.</param>
/// <param name="AtPartnership">Stage 4, with the independent chair appointed.</param>
/// <param name="RaisedEntry">The record entry of <paramref name="AtPartnership"/>'s raise (its actor is the raising agency).</param>
/// <param name="Draft">Minutes of <paramref name="AtPartnership"/> the partnership drafted for the chair's approval.</param>
/// <param name="Recommendation">A recommendation of <paramref name="AtPartnership"/> owned by the receiving agency.</param>
/// <param name="Webhook">A webhook subscription of the raising agency no row deletes.</param>
/// <param name="EmailSubscription">An email subscription of the raising agency no row deletes.</param>
/// <param name="Scratch">A challenge of its own for each allowed command that changes one, by purpose.</param>
/// <param name="ForFuzz">Stage 1, for the fuzz run, whose generated commands may move it: the rows' disputes stay where they are.</param>
public sealed record SeededDispute(
    string Name,
    string AtLineManagers,
    string AtSeniorManagers,
    string AtPartnership,
    string RaisedEntry,
    string Draft,
    string Recommendation,
    string RecommendationEtag,
    string Webhook,
    string WebhookToDelete,
    string EmailSubscription,
    string EmailSubscriptionToDelete,
    IReadOnlyDictionary<string, string> Scratch,
    string ForFuzz)
{
    public string Id => Name["challenges/".Length..];

    public string ScratchFor(string purpose) => Scratch[purpose];
}

/// <summary>Raises and moves the seeded disputes through the gateway, as their parties would.</summary>
internal sealed class AbuseSeed(SuiteFixture suite)
{
    public const string Suffix = "abuse";
    public const string RaisingAgency = "police-" + Suffix;
    public const string ReceivingAgency = "childrens-social-care-" + Suffix;

    /// <summary>The directory's agencies and people the rows call as (see <see cref="Partnership"/>).</summary>
    public const string ChairAgency = "health-" + Suffix;
    public const string PartnershipAgency = "partnership-" + Suffix;

    /// <summary>Directory entries that only the allowed directory rows change.</summary>
    public const string ControlAgency = "directory-control-" + Suffix;
    public const string RetiredAgency = "directory-retired-" + Suffix;

    private readonly ChallengeService.ChallengeServiceClient _challenges = new(suite.Gateway);
    private readonly EscalationService.EscalationServiceClient _escalations = new(suite.Gateway);
    private readonly NotificationService.NotificationServiceClient _notifications = new(suite.Gateway);
    private readonly RecordsService.RecordsServiceClient _records = new(suite.Gateway);

    public async Task<SeededDispute> SeedAsync()
    {
        var p = await Partnership.SetUpAsync(suite, _escalations, Suffix);
        var admin = p.PartnershipManager.Headers(suite);
        foreach (var agency in new[] { ControlAgency, RetiredAgency })
            await _escalations.CreateAgencyAsync(new CreateAgencyRequest { AgencyId = agency, Agency = new Agency { DisplayName = agency, Kind = AgencyKind.Education } }, admin);
        foreach (var professional in new[] { "dir-1", "dir-retired" })
        {
            await _escalations.CreateProfessionalAsync(new CreateProfessionalRequest
            {
                Parent = $"agencies/{ControlAgency}", ProfessionalId = professional,
                Professional = new Professional { DisplayName = professional, Email = $"{professional}@control.example", Roles = { "practitioner" } },
            }, admin);
        }

        var open = await RaiseAsync(p);
        var forFuzz = await RaiseAsync(p);
        var atLineManagers = await ToLineManagersAsync(p, await RaiseAsync(p));
        var atSeniorManagers = await ToSeniorManagersAsync(p, await ToLineManagersAsync(p, await RaiseAsync(p)));
        var atPartnership = await EscalateAsync(p.RaisingSeniorManager, await ToSeniorManagersAsync(p, await ToLineManagersAsync(p, await RaiseAsync(p))),
            Stage.SafeguardingPartnership);

        var scratch = new Dictionary<string, string>();
        foreach (var purpose in new[] { "acknowledge", "escalate", "resolve", "withdraw" })
            scratch[purpose] = (await RaiseAsync(p)).Name;
        scratch["discussion"] = (await AcknowledgeAsync(p, await RaiseAsync(p))).Name;
        scratch["review"] = (await ToLineManagersAsync(p, await RaiseAsync(p))).Name;

        // Every service has heard of the stage 1 dispute's parties.
        var referrer = p.Referrer.Headers(suite);
        await Until("escalation", async () => (await _escalations.GetEscalationAsync(new GetEscalationRequest { Name = open.Name + "/escalation" }, referrer)) is not null);
        await Until("notification", async () => (await _notifications.ListDeliveriesAsync(new ListDeliveriesRequest { Parent = open.Name }, referrer)) is not null);
        await Until("records", async () => (await _records.ListRecordEntriesAsync(new ListRecordEntriesRequest { Parent = open.Name }, referrer)) is not null);

        // Stage 4: the partnership appoints a chair once escalation has the dispute there, then drafts minutes and makes a recommendation.
        var escalation = await Until("escalation at stage 4", async () =>
        {
            var read = await _escalations.GetEscalationAsync(new GetEscalationRequest { Name = atPartnership.Name + "/escalation" }, admin);
            return read.Stage == Stage.SafeguardingPartnership ? read : null;
        });
        // Named, not by rotation: the pool rotates across the whole directory, which other tests add chairs to.
        await _escalations.AppointIndependentChairAsync(new AppointIndependentChairRequest
        {
            Name = escalation.Name, Professional = $"agencies/{ChairAgency}/professionals/{AbuseTests.Chair.Professional}",
        }, admin);
        var raisedEntry = await Until("the chair in the record", async () =>
        {
            var entries = (await _records.ListRecordEntriesAsync(new ListRecordEntriesRequest { Parent = atPartnership.Name, PageSize = 100 }, referrer)).Entries;
            return entries.Any(e => e.Kind == RecordEntryKind.ChairAppointed) ? entries.First(e => e.Kind == RecordEntryKind.ChallengeRaised).Name : null;
        });
        var draft = await _records.RecordMinutesAsync(new RecordMinutesRequest { Parent = atPartnership.Name, Meeting = Meeting(p) }, admin);
        var recommendation = await _records.CreateRecommendationAsync(new CreateRecommendationRequest
        {
            Parent = atPartnership.Name,
            Recommendation = new Recommendation { Text = "Review the threshold guidance.", OwnerAgencyId = ReceivingAgency, DueDate = "2030-01-31" },
        }, admin);

        var manager = p.RaisingLineManager.Headers(suite);
        var webhook = await _notifications.CreateWebhookSubscriptionAsync(Webhook(RaisingAgency), manager);
        var webhookToDelete = await _notifications.CreateWebhookSubscriptionAsync(Webhook(RaisingAgency), manager);
        var email = await _notifications.CreateEmailSubscriptionAsync(Email(RaisingAgency), manager);
        var emailToDelete = await _notifications.CreateEmailSubscriptionAsync(Email(RaisingAgency), manager);

        return new SeededDispute(open.Name, atLineManagers.Name, atSeniorManagers.Name, atPartnership.Name, raisedEntry, draft.Name,
            recommendation.Name, recommendation.Etag, webhook.Name, webhookToDelete.Name, email.Name, emailToDelete.Name, scratch, forFuzz.Name);
    }

    /// <summary>A well-formed meeting of the seeded parties.</summary>
    public static Meeting Meeting(Partnership p) => new()
    {
        Mode = DiscussionMode.Meeting,
        HeldTime = Timestamp.FromDateTimeOffset(DateTimeOffset.UtcNow.AddHours(-1)),
        Attendees = { p.RaisingHeadOfService.Party, p.ReceivingHeadOfService.Party, p.PartnershipManager.Party },
        Minutes = "The agencies discussed the closure.",
    };

    /// <summary>A subscription to a loopback port nothing listens on: its deliveries fail, nothing else.</summary>
    public static CreateWebhookSubscriptionRequest Webhook(string agency) => new()
    {
        Parent = $"agencies/{agency}",
        Subscription = new WebhookSubscription { Url = "http://127.0.0.1:9/disputes" },
    };

    /// <summary>An email subscription of its own address (an agency may not subscribe one address twice).</summary>
    public static CreateEmailSubscriptionRequest Email(string agency) => new()
    {
        Parent = $"agencies/{agency}",
        Subscription = new EmailSubscription { Address = $"hub-{Guid.NewGuid():N}@{agency}.example.org" },
    };

    /// <summary>The raise every seeded dispute starts from; its narrative is what no outsider may read.</summary>
    public static RaiseChallengeRequest NewRaise(Partnership p)
    {
        var request = p.NewRaise();
        request.Challenge.Child.Reference = "child-ref-abuse-301";
        request.Challenge.Subject = "abuse-test narrative: the case was closed after one visit.";
        return request;
    }

    private Task<V1.Challenge> RaiseAsync(Partnership p) => _challenges.RaiseChallengeAsync(NewRaise(p), p.Referrer.Headers(suite)).ResponseAsync;

    private Task<V1.Challenge> AcknowledgeAsync(Partnership p, V1.Challenge challenge) =>
        _challenges.AcknowledgeChallengeAsync(new AcknowledgeChallengeRequest { Name = challenge.Name, Etag = challenge.Etag }, p.SocialWorker.Headers(suite)).ResponseAsync;

    private async Task<V1.Challenge> ToLineManagersAsync(Partnership p, V1.Challenge challenge) =>
        await EscalateAsync(p.Referrer, await AcknowledgeAsync(p, challenge), Stage.Unspecified);

    private async Task<V1.Challenge> ToSeniorManagersAsync(Partnership p, V1.Challenge challenge)
    {
        var reviewed = await _challenges.ReviewChallengeAsync(new ReviewChallengeRequest { Name = challenge.Name, Etag = challenge.Etag, Justified = true },
            p.RaisingLineManager.Headers(suite));
        return await EscalateAsync(p.RaisingLineManager, reviewed, Stage.Unspecified);
    }

    private Task<V1.Challenge> EscalateAsync(Person caller, V1.Challenge challenge, Stage target) =>
        _challenges.EscalateChallengeAsync(new EscalateChallengeRequest { Name = challenge.Name, Etag = challenge.Etag, Reason = "No agreement.", TargetStage = target },
            caller.Headers(suite)).ResponseAsync;

    /// <summary>What <paramref name="read"/> returns once it is not null, retried while the event that makes it so is on its way.</summary>
    private static async Task<T> Until<T>(string what, Func<Task<T?>> read)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            try
            {
                if (await read() is { } value)
                    return value;
            }
            catch (RpcException ex) when (ex.StatusCode is StatusCode.NotFound or StatusCode.PermissionDenied or StatusCode.FailedPrecondition)
            {
            }
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"seeding: {what} never came");
            await Task.Delay(100);
        }
    }
}
