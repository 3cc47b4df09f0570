using System.Text.Json;
using Disputes.Procedure;
using Disputes.ServiceDefaults.Grpc;
using Disputes.V1;
using Disputes.V1.Events;
using Grpc.Core;
using StackExchange.Redis;

namespace Disputes.IntegrationTests;

/// <summary>
/// The procedure's full path as the other services publish it (the contract), fed to the real
/// notification service: the referrer is told at every stage and of the outcome, both line
/// managers and the IRO of a Looked After child at stage 2, and the chair may read the log.
/// </summary>
[Collection(RedisCollection.Name)]
public sealed class NotificationFullPathTests(RedisServerFixture redis) : IAsyncLifetime
{
    public Task InitializeAsync() => redis.FlushAsync();

    public Task DisposeAsync() => Task.CompletedTask;

    private static readonly Party Referrer = new() { AgencyId = "police", ProfessionalId = "pc-101" };
    private static readonly Party RaisingLineManager = new() { AgencyId = "police", ProfessionalId = "sgt-5" };
    private static readonly Party ReceivingLineManager = new() { AgencyId = "childrens-social-care", ProfessionalId = "tm-3" };
    private static readonly Party Iro = new() { AgencyId = "childrens-social-care", ProfessionalId = "iro-9" };
    private static readonly Party Contact = new() { AgencyId = "safeguarding-partnership", ProfessionalId = "scp-1" };
    private static readonly Party Chair = new() { AgencyId = "health", ProfessionalId = "chair-4" };

    [Fact]
    public async Task The_referrer_is_told_at_every_stage_and_the_outcome_and_stage_2_reaches_both_line_managers_and_the_iro()
    {
        await using var host = await NotificationHost.StartAsync(redis);
        var id = SortableId.New(TimeProvider.System);
        var name = $"challenges/{id}";
        var raised = NotificationDeliveryTests.Raise(id, lookedAfter: true);
        await host.PublishAsync(raised);
        await Eventually.HoldsAsync(async () => await redis.Redis.GetDatabase().KeyExistsAsync(Disputes.Notification.Storage.DisputeFactsStore.KeyOf(id)), "the raise is known");

        ResponsibleParty Rp(Party p, Responsibility r) => new() { Party = p, Responsibility = r };
        var path = new Google.Protobuf.IMessage[]
        {
            new ResponsiblePartiesRouted { Challenge = name, Version = 1, ChallengeVersion = 1, Stage = Stage.ProfessionalDiscussion,
                ResponsibleParties = { Rp(Referrer, Responsibility.Referrer), Rp(raised.ReceivingParty, Responsibility.ReceivingProfessional) } },
            new ChallengeAcknowledged { Challenge = name, Version = 2, Actor = raised.ReceivingParty },
            new DiscussionRecorded { Challenge = name, Version = 3, Stage = Stage.ProfessionalDiscussion, Summary = "narrative" },
            new ChallengeEscalated { Challenge = name, Version = 4, FromStage = Stage.ProfessionalDiscussion, ToStage = Stage.LineManagers },
            new ResponsiblePartiesRouted { Challenge = name, Version = 2, ChallengeVersion = 4, Stage = Stage.LineManagers, IndependentReviewingOfficerRequired = true,
                ResponsibleParties = { Rp(Referrer, Responsibility.Referrer), Rp(RaisingLineManager, Responsibility.RaisingLineManager),
                    Rp(ReceivingLineManager, Responsibility.ReceivingLineManager), Rp(Iro, Responsibility.IndependentReviewingOfficer) } },
            new ChallengeReviewed { Challenge = name, Version = 5, Justified = true, State = ChallengeState.InDiscussion },
            new DiscussionRecorded { Challenge = name, Version = 6, Stage = Stage.LineManagers },
            new ChallengeEscalated { Challenge = name, Version = 7, FromStage = Stage.LineManagers, ToStage = Stage.SeniorManagers, ManagementTier = 1 },
            new ChallengeEscalated { Challenge = name, Version = 8, FromStage = Stage.SeniorManagers, FromManagementTier = 1, ToStage = Stage.SeniorManagers, ManagementTier = 2 },
            new ChallengeEscalated { Challenge = name, Version = 9, FromStage = Stage.SeniorManagers, FromManagementTier = 2, ToStage = Stage.SafeguardingPartnership },
            new ResponsiblePartiesRouted { Challenge = name, Version = 5, ChallengeVersion = 9, Stage = Stage.SafeguardingPartnership,
                ResponsibleParties = { Rp(Referrer, Responsibility.Referrer), Rp(Contact, Responsibility.PartnershipContact) } },
            new IndependentChairAppointed { Challenge = name, Version = 6, Chair = Chair, AppointedBy = Contact },
            new MinutesRecorded { Challenge = name, Version = 3, Stage = Stage.SafeguardingPartnership, Chair = Chair, Minutes = $"{name}/entries/3" },
            new ChallengeResolved { Challenge = name, Version = 10, Stage = Stage.SafeguardingPartnership,
                Resolution = new Resolution { Kind = ResolutionKind.PartnershipRecommendations, Summary = "Recommendations were made to both agencies." } },
        };
        foreach (var @event in path)
            await host.PublishAsync(@event);

        var referrer = host.Bearer("pc-101", "police");
        Func<Delivery, bool>[] toOthers =
        [
            d => d.Recipient.ProfessionalId == "sgt-5" && d.Stage == Stage.LineManagers && d.RecipientRole == RecipientRole.LineManager,
            d => d.Recipient.ProfessionalId == "tm-3" && d.Stage == Stage.LineManagers && d.RecipientRole == RecipientRole.LineManager,
            d => d.Recipient.ProfessionalId == "iro-9" && d.Notice == "iro-notified",
            d => d.Recipient.ProfessionalId == "scp-1" && d.Stage == Stage.SafeguardingPartnership,
            d => d.Recipient.ProfessionalId == "chair-4" && d.Notice == "appointed-as-chair",
        ];
        ListDeliveriesResponse log = new();
        // Events of different topics are handled concurrently (a routing that overtook an earlier one
        // waits for it), so the referrer's deliveries may all be there before the others'.
        await Eventually.HoldsAsync(async () =>
        {
            log = await host.Client.ListDeliveriesAsync(new ListDeliveriesRequest { Parent = name, PageSize = 100 }, referrer);
            return log.Deliveries.Any(d => d.Notice == "challenge-resolved" && d.RecipientRole == RecipientRole.Referrer)
                && log.Deliveries.Count(d => d.RecipientRole == RecipientRole.Referrer) == 12
                && toOthers.All(log.Deliveries.Any);
        }, "the referrer is told of every step, and the others of theirs", TimeSpan.FromSeconds(30));

        var toReferrer = log.Deliveries.Where(d => d.RecipientRole == RecipientRole.Referrer).ToArray();
        // Events of different topics are handled concurrently, so the log's order may differ from the path's.
        Assert.Equal(
            new[] { "challenge-received", "challenge-acknowledged", "discussion-recorded", "challenge-escalated", "review-justified", "discussion-recorded",
                "challenge-escalated", "challenge-escalated", "challenge-escalated", "chair-appointed", "minutes-recorded", "challenge-resolved" }.Order(StringComparer.Ordinal),
            toReferrer.Select(d => d.Notice).Order(StringComparer.Ordinal));
        Assert.Equal(4, toReferrer.Count(d => d.Notice == "challenge-escalated"));
        Assert.Equal(
            [Stage.LineManagers, Stage.SeniorManagers, Stage.SeniorManagers, Stage.SafeguardingPartnership],
            toReferrer.Where(d => d.Notice == "challenge-escalated").Select(d => d.Stage).Order());
        Assert.Contains("Recommendations were made", toReferrer.Single(d => d.Notice == "challenge-resolved").Message);

        Assert.All(toOthers, told => Assert.Contains(log.Deliveries, d => told(d)));

        // The appointed chair may read the log; the record learns when the referrer was told, once per delivery.
        var byChair = await host.Client.ListDeliveriesAsync(new ListDeliveriesRequest { Parent = name, PageSize = 100 }, host.Bearer("chair-4", "health", DisputeRoles.IndependentChair));
        Assert.Equal(log.Deliveries.Count, byChair.Deliveries.Count);
        await Eventually.HoldsAsync(async () => (await redis.Redis.GetDatabase().StreamRangeAsync("notification-delivered"))
            .Select(e => JsonDocument.Parse(e["data"].ToString()).RootElement.GetProperty("data"))
            .Count(d => d.GetProperty("recipientRole").GetString() == "RECIPIENT_ROLE_REFERRER") == 12, "every delivery to the referrer is published once");
    }
}
