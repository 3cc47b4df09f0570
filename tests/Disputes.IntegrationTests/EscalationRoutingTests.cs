using System.Diagnostics;
using Disputes.EventBus;
using Disputes.EventBus.Redis;
using Disputes.Procedure;
using Disputes.V1;
using Disputes.V1.Events;
using Google.Protobuf;
using Google.Rpc;
using Grpc.Core;

namespace Disputes.IntegrationTests;

/// <summary>
/// Escalation consuming the challenge service's events from the Redis Streams bus (published
/// here as the challenge service would), routing each stage and publishing what it decided.
/// </summary>
[Collection(RedisCollection.Name)]
public sealed class EscalationRoutingTests(RedisServerFixture redis) : IAsyncLifetime
{
    private static readonly JsonFormatter Json = new(JsonFormatter.Settings.Default.WithFormatDefaultValues(false));
    private EscalationTestHost _host = null!;

    public async Task InitializeAsync()
    {
        await redis.FlushAsync();
        _host = await EscalationTestHost.StartAsync(redis);
        await _host.LoadDemoDirectoryAsync();
    }

    public async Task DisposeAsync() => await _host.DisposeAsync();

    private async Task<string> PublishAsync(IMessage @event, string? traceParent = null, string? id = null)
    {
        var envelope = new EventEnvelope(id ?? Guid.NewGuid().ToString("N"), "challenge", @event.Descriptor.FullName, IntegrationEvents.TopicOf(@event.Descriptor),
            "pubsub", DateTimeOffset.UtcNow, Json.Format(@event), traceParent, null, IntegrationEvents.DisputeIdOf(@event));
        await new RedisEventPublisher(redis.Redis).PublishAsync(envelope, CancellationToken.None);
        return envelope.Id;
    }

    private async Task<V1.Escalation> UntilAsync(string id, Func<V1.Escalation, bool> condition, string what)
    {
        V1.Escalation? escalation = null;
        await Eventually.HoldsAsync(async () =>
        {
            try
            {
                escalation = await _host.Client.GetEscalationAsync(new GetEscalationRequest { Name = $"challenges/{id}/escalation" }, _host.Partnership);
                return condition(escalation);
            }
            catch (RpcException ex) when (ex.StatusCode == StatusCode.NotFound)
            {
                return false;
            }
        }, what);
        return escalation!;
    }

    private static string[] Who(IEnumerable<ResponsibleParty> parties) =>
        parties.Select(p => $"{p.Responsibility}:{p.Party.ProfessionalId}").ToArray();

    [Fact]
    public async Task At_stage_two_both_line_managers_and_the_IRO_of_a_looked_after_child_are_routed_in_the_escalates_trace()
    {
        var id = EscalationEvents.NewChallengeId();
        var now = DateTimeOffset.UtcNow;
        await PublishAsync(EscalationEvents.Raised(id, now));
        await UntilAsync(id, e => e.Stage == Stage.ProfessionalDiscussion, "the escalation is open");
        var trace = ActivityTraceId.CreateRandom().ToHexString();

        await PublishAsync(EscalationEvents.Escalated(id, 2, Stage.LineManagers, 0, now.AddMinutes(5)), $"00-{trace}-{ActivitySpanId.CreateRandom().ToHexString()}-01");

        var escalation = await UntilAsync(id, e => e.Stage == Stage.LineManagers, "stage 2 is routed");
        Assert.Equal(
            ["Referrer:pc-101", "RaisingLineManager:sgt-12", "ReceivingLineManager:tm-2", "IndependentReviewingOfficer:iro-1", "IndependentReviewingOfficer:iro-2"],
            Who(escalation.ResponsibleParties));
        Assert.Equal(2, escalation.ChallengeVersion);
        IReadOnlyList<(ResponsiblePartiesRouted Event, EventEnvelope Envelope)> routed = [];
        await Eventually.HoldsAsync(async () => (routed = await EscalationTestHost.PublishedAsync<ResponsiblePartiesRouted>(redis.Redis)).Count == 2, "both routings are published");
        var stageTwo = routed.Single(r => r.Event.Stage == Stage.LineManagers);
        Assert.Equal(Who(escalation.ResponsibleParties), Who(stageTwo.Event.ResponsibleParties));
        Assert.True(stageTwo.Event.IndependentReviewingOfficerRequired);
        Assert.Equal(trace, new EventContext("", "", default, stageTwo.Envelope.TraceParent, null).TraceId);
    }

    [Fact]
    public async Task A_redelivered_event_changes_nothing_and_one_that_overtakes_an_earlier_version_waits_for_it()
    {
        var id = EscalationEvents.NewChallengeId();
        var now = DateTimeOffset.UtcNow;
        await PublishAsync(EscalationEvents.Raised(id, now));
        await UntilAsync(id, _ => true, "the escalation is open");

        // Stage 3 (version 3) overtakes the stage 2 escalation (version 2): it waits, so stage 2 is still routed.
        var toStageThree = EscalationEvents.Escalated(id, 3, Stage.SeniorManagers, 1, now.AddMinutes(5));
        var eventId = await PublishAsync(toStageThree);
        await Eventually.HoldsAsync(async () => await redis.Redis.GetDatabase().HashLengthAsync(Disputes.Escalation.Storage.EscalationStore.EarlyEvents(id)) == 1, "stage 3 waits for stage 2");
        await PublishAsync(EscalationEvents.Escalated(id, 2, Stage.LineManagers, 0, now.AddMinutes(1)));
        var atThree = await UntilAsync(id, e => e.Stage == Stage.SeniorManagers, "stage 3 is routed");
        Assert.Equal(["raised", "escalated", "escalated"], atThree.History.Select(h => h.Change));
        Assert.Equal(["Referrer:pc-101", "RaisingSeniorManager:insp-21", "ReceivingSeniorManager:sm-4", "IndependentReviewingOfficer:iro-1",
            "IndependentReviewingOfficer:iro-2"], Who(atThree.ResponsibleParties));
        // The routing is published by the outbox relay after the escalation is saved: wait for it.
        await Eventually.HoldsAsync(async () => (await EscalationTestHost.PublishedAsync<ResponsiblePartiesRouted>(redis.Redis))
            .Count(r => r.Event.Challenge == $"challenges/{id}" && r.Event.Stage is Stage.LineManagers or Stage.SeniorManagers) >= 2,
            "both routings are published");
        var stageTwo = (await EscalationTestHost.PublishedAsync<ResponsiblePartiesRouted>(redis.Redis))
            .Where(r => r.Event.Challenge == $"challenges/{id}" && r.Event.Stage == Stage.LineManagers);
        Assert.Single(stageTwo);

        // The same event again, under its own id and under a new one, changes nothing; the next tier follows.
        await PublishAsync(toStageThree, id: eventId);
        await PublishAsync(toStageThree);
        await PublishAsync(EscalationEvents.Escalated(id, 4, Stage.SeniorManagers, 2, now.AddMinutes(9)));

        var atTierTwo = await UntilAsync(id, e => e.ManagementTier == 2, "tier 2 is routed");
        Assert.Equal(["raised", "escalated", "escalated", "escalated"], atTierTwo.History.Select(h => h.Change));
        Assert.Equal(["Referrer:pc-101", "RaisingSeniorManager:supt-3", "ReceivingSeniorManager:hos-1"], Who(atTierTwo.ResponsibleParties).Take(3));
        await Eventually.HoldsAsync(async () => await redis.Redis.GetDatabase().HashLengthAsync(Disputes.Escalation.Storage.EscalationStore.EarlyEvents(id)) == 0, "nothing waits any more");
    }

    [Fact]
    public async Task Events_that_overtake_the_raise_are_applied_once_it_arrives()
    {
        var id = EscalationEvents.NewChallengeId();
        var now = DateTimeOffset.UtcNow;
        await PublishAsync(EscalationEvents.Escalated(id, 3, Stage.LineManagers, 0, now.AddMinutes(5)));
        await PublishAsync(EscalationEvents.Acknowledged(id, 2, now.AddMinutes(1)));
        await Eventually.HoldsAsync(async () => await redis.Redis.GetDatabase().HashLengthAsync(Disputes.Escalation.Storage.EscalationStore.EarlyEvents(id)) == 2, "both wait for the raise");

        await PublishAsync(EscalationEvents.Raised(id, now));

        var escalation = await UntilAsync(id, e => e.Stage == Stage.LineManagers, "the early escalate is applied");
        Assert.Equal(["raised", "acknowledged", "escalated"], escalation.History.Select(h => h.Change));
        Assert.Contains("RaisingLineManager:sgt-12", Who(escalation.ResponsibleParties));
        await Eventually.HoldsAsync(async () => await redis.Redis.GetDatabase().HashLengthAsync(Disputes.Escalation.Storage.EscalationStore.EarlyEvents(id)) == 0, "nothing waits any more");
    }

    [Fact]
    public async Task A_tier_nobody_holds_is_published_as_a_routing_gap()
    {
        var id = EscalationEvents.NewChallengeId();
        var now = DateTimeOffset.UtcNow;
        await PublishAsync(EscalationEvents.Raised(id, now, lookedAfter: false));
        await PublishAsync(EscalationEvents.Escalated(id, 2, Stage.SeniorManagers, 3, now.AddMinutes(1)));

        IReadOnlyList<(RoutingGapFound Event, EventEnvelope Envelope)> gaps = [];
        await Eventually.HoldsAsync(async () => (gaps = await EscalationTestHost.PublishedAsync<RoutingGapFound>(redis.Redis)).Count == 2, "both gaps are published");
        Assert.Equal([Responsibility.RaisingSeniorManager, Responsibility.ReceivingSeniorManager], gaps.Select(g => g.Event.Responsibility).Order());
        Assert.All(gaps, g => Assert.Equal(3, g.Event.ManagementTier));
    }

    [Fact]
    public async Task The_chair_is_appointed_at_stage_four_only_from_an_agency_not_involved()
    {
        var id = EscalationEvents.NewChallengeId();
        var name = $"challenges/{id}/escalation";
        var now = DateTimeOffset.UtcNow;
        await PublishAsync(EscalationEvents.Raised(id, now));
        await UntilAsync(id, _ => true, "the escalation is open");

        var tooEarly = await Assert.ThrowsAsync<RpcException>(() => _host.Client.AppointIndependentChairAsync(
            new AppointIndependentChairRequest { Name = name }, _host.Partnership).ResponseAsync);
        Assert.Equal(StatusCode.FailedPrecondition, tooEarly.StatusCode);

        await PublishAsync(EscalationEvents.Escalated(id, 2, Stage.SafeguardingPartnership, 0, now.AddMinutes(1)));
        var atFour = await UntilAsync(id, e => e.Stage == Stage.SafeguardingPartnership, "stage 4 is routed");
        Assert.Contains("PartnershipContact:scp-1", Who(atFour.ResponsibleParties));

        var notPartnership = await Assert.ThrowsAsync<RpcException>(() => _host.Client.AppointIndependentChairAsync(
            new AppointIndependentChairRequest { Name = name }, _host.Bearer("pc-101", "police")).ResponseAsync);
        Assert.Equal(StatusCode.PermissionDenied, notPartnership.StatusCode);

        var involved = await Assert.ThrowsAsync<RpcException>(() => _host.Client.AppointIndependentChairAsync(
            new AppointIndependentChairRequest { Name = name, Professional = "agencies/childrens-social-care/professionals/chair-csc" }, _host.Partnership).ResponseAsync);
        Assert.Equal(StatusCode.FailedPrecondition, involved.StatusCode);
        Assert.Equal("CHAIR_AGENCY_INVOLVED", involved.GetRpcStatus()!.GetDetail<PreconditionFailure>().Violations[0].Type);

        var stale = await Assert.ThrowsAsync<RpcException>(() => _host.Client.AppointIndependentChairAsync(
            new AppointIndependentChairRequest { Name = name, Etag = "\"1\"" }, _host.Partnership).ResponseAsync);
        Assert.Equal(StatusCode.Aborted, stale.StatusCode);

        var appointed = await _host.Client.AppointIndependentChairAsync(new AppointIndependentChairRequest { Name = name, Etag = atFour.Etag }, _host.Partnership);

        Assert.Contains(appointed.IndependentChair.AgencyId, new[] { "health", "education" });
        Assert.Equal(Responsibility.IndependentChair, appointed.ResponsibleParties[^1].Responsibility);
        IReadOnlyList<(IndependentChairAppointed Event, EventEnvelope Envelope)> published = [];
        await Eventually.HoldsAsync(async () => (published = await EscalationTestHost.PublishedAsync<IndependentChairAppointed>(redis.Redis)).Count == 1, "the appointment is published");
        Assert.Equal(appointed.IndependentChair, published[0].Event.Chair);
        Assert.Equal("scp-1", published[0].Event.AppointedBy.ProfessionalId);

        // The appointed chair may now read the escalation; another chair may not.
        var chair = _host.Bearer(appointed.IndependentChair.ProfessionalId, appointed.IndependentChair.AgencyId, "independent_chair");
        Assert.Equal(appointed.Name, (await _host.Client.GetEscalationAsync(new GetEscalationRequest { Name = name }, chair)).Name);
        var other = await Assert.ThrowsAsync<RpcException>(() => _host.Client.GetEscalationAsync(new GetEscalationRequest { Name = name },
            _host.Bearer("someone", "education-other", "independent_chair")).ResponseAsync);
        Assert.Equal(StatusCode.PermissionDenied, other.StatusCode);
    }

    [Fact]
    public async Task Two_chairs_appointed_at_once_by_the_rotation_take_turns()
    {
        var now = DateTimeOffset.UtcNow;
        string[] ids = [EscalationEvents.NewChallengeId(), EscalationEvents.NewChallengeId()];
        foreach (var id in ids)
        {
            await PublishAsync(EscalationEvents.Raised(id, now));
            await UntilAsync(id, _ => true, "the escalation is open");
            await PublishAsync(EscalationEvents.Escalated(id, 2, Stage.SafeguardingPartnership, 0, now.AddMinutes(1)));
            await UntilAsync(id, e => e.Stage == Stage.SafeguardingPartnership, "stage 4 is routed");
        }

        var appointed = await Task.WhenAll(ids.Select(async id => await _host.Client.AppointIndependentChairAsync(
            new AppointIndependentChairRequest { Name = $"challenges/{id}/escalation" }, _host.Partnership)));

        // Each appointment took its own turn of the rotation: not the same chair twice.
        var chairs = appointed.Select(e => $"{e.IndependentChair.AgencyId}/{e.IndependentChair.ProfessionalId}").ToArray();
        Assert.NotEqual(chairs[0], chairs[1]);
    }

    [Fact]
    public async Task Support_sees_the_escalation_as_an_allowlist_projection()
    {
        var id = EscalationEvents.NewChallengeId();
        await PublishAsync(EscalationEvents.Raised(id, DateTimeOffset.UtcNow));
        var full = await UntilAsync(id, _ => true, "the escalation is open");

        var support = await _host.Client.GetEscalationAsync(new GetEscalationRequest { Name = full.Name }, _host.Bearer("ops-1", "it", "support"));

        Assert.Equal(full.StageDueTime, support.StageDueTime);
        Assert.Equal(Who(full.ResponsibleParties), Who(support.ResponsibleParties));
        Assert.All(support.ResponsibleParties, p => Assert.Equal("", p.Party.Role));
        Assert.True(full.IroNotificationRequired);
        Assert.False(support.IroNotificationRequired);
    }
}
