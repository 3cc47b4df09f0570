using Disputes.Challenge.Commands;
using Disputes.Challenge.Events;
using Disputes.Challenge.Storage;
using Disputes.EventBus;
using Disputes.Procedure;
using Disputes.ServiceDefaults.Identity;
using Disputes.V1;
using Disputes.V1.Events;
using Microsoft.Extensions.DependencyInjection;

namespace Disputes.IntegrationTests;

/// <summary>The challenge service's consumers on the real Redis Streams bus: redelivered and stale events change nothing twice.</summary>
[Collection(RedisCollection.Name)]
public sealed class ChallengeConsumersTests(RedisServerFixture redis) : IAsyncLifetime
{
    public Task InitializeAsync() => redis.FlushAsync();

    public Task DisposeAsync() => Task.CompletedTask;

    private static Task<BusHost> StartChallengeAsync(RedisServerFixture redis) =>
        BusHost.StartAsync(redis, "challenge", services =>
        {
            services.AddSingleton<ChallengeStore>();
            services.AddSingleton<ChallengeUpdates>();
            services.AddSingleton<ChallengeCommandHandler>();
            services.AddEventHandler<AutoEscalationDue, AutoEscalationDueHandler>();
            services.AddEventHandler<TimescaleMissed, TimescaleMissedHandler>();
            services.AddEventHandler<IndependentChairAppointed, IndependentChairAppointedHandler>();
        }, withOutbox: true);

    [Fact]
    public async Task An_auto_escalation_delivered_twice_and_a_stale_one_escalate_once_and_publish_one_event()
    {
        await using var challengeApp = await StartChallengeAsync(redis);
        await using var escalationApp = await BusHost.StartAsync(redis, "escalation");
        var commands = challengeApp.Services.GetRequiredService<ChallengeCommandHandler>();
        var store = challengeApp.Services.GetRequiredService<ChallengeStore>();
        var raised = await commands.RaiseAsync(ChallengeCommandsTests.NewRaise(), new Caller("pc-101", "police", new HashSet<string> { DisputeRoles.Practitioner }));
        var due = new AutoEscalationDue { Challenge = raised.Name, Version = 3, Stage = Stage.ProfessionalDiscussion, ChallengeVersion = 1, TimerId = "timer-1" };
        var stale = new AutoEscalationDue { Challenge = raised.Name, Version = 2, Stage = Stage.ProfessionalDiscussion, ChallengeVersion = 0, TimerId = "timer-0" };
        var unknown = new AutoEscalationDue { Challenge = "challenges/not-an-id", Version = 1, Stage = Stage.ProfessionalDiscussion, ChallengeVersion = 1 };

        foreach (var @event in new Google.Protobuf.IMessage[] { stale, unknown, due, due })
            await escalationApp.Publisher.PublishAsync(escalationApp.Events.Create(@event), CancellationToken.None);

        await Eventually.HoldsAsync(async () => (await store.GetAsync(raised.Name[11..]))!.Version == 2, "the challenge is escalated");
        await Eventually.HoldsAsync(async () => await redis.Redis.GetDatabase().StreamLengthAsync("challenge-escalated") == 1, "the escalation is published");
        await Eventually.HoldsAsync(async () =>
        {
            var db = redis.Redis.GetDatabase();
            var last = (await db.StreamRangeAsync("auto-escalation-due", count: 1, messageOrder: StackExchange.Redis.Order.Descending)).FirstOrDefault();
            var group = (await db.StreamGroupInfoAsync("auto-escalation-due")).Single(g => g.Name == "challenge");
            // Acknowledged entries may already be trimmed away.
            return group.PendingMessageCount == 0 && (last.IsNull ? group.LastDeliveredId != "0-0" : group.LastDeliveredId == last.Id);
        }, "all four deliveries are handled and acknowledged");

        var escalated = (await store.GetAsync(raised.Name[11..]))!;
        Assert.Equal((Stage.LineManagers, ChallengeState.AwaitingReview, 2L), (escalated.Position.Stage, escalated.Position.State, escalated.Version));
        Assert.Equal(1, await redis.Redis.GetDatabase().StreamLengthAsync("challenge-escalated"));
        Assert.Equal("auto-escalate", escalated.ToMessage().History[^1].Command);
    }
}
