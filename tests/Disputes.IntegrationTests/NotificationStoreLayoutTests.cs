using Disputes.EventBus;
using Disputes.EventBus.Redis;
using Disputes.Notification.Domain;
using Disputes.Notification.Storage;
using Disputes.Outbox.Redis;
using Disputes.Redis;
using Disputes.ServiceDefaults.Grpc;
using Disputes.V1;
using Google.Protobuf.WellKnownTypes;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Disputes.IntegrationTests;

/// <summary>
/// The notification stores' own transactions against a real Redis (a three-node cluster with
/// DISPUTES_TEST_REDIS_CLUSTER=1): each touches one slot, a dispute's keys lie in its slot, and what
/// spans disputes is read back merged from the partitions.
/// </summary>
[Collection(RedisCollection.Name)]
public sealed class NotificationStoreLayoutTests(RedisServerFixture redis) : IAsyncLifetime
{
    private readonly DeliveryStore _store = new(redis.Redis, new RedisOutbox(Options.Create(new EventBusOptions { AppId = "notification" })));

    public Task InitializeAsync() => redis.FlushAsync();

    public Task DisposeAsync() => Task.CompletedTask;

    [Fact]
    public async Task A_disputes_deliveries_facts_and_parked_events_are_written_in_its_slot_and_read_back_merged()
    {
        var challenges = Enumerable.Range(0, 12).Select(_ => SortableId.New(TimeProvider.System)).ToArray();
        var time = DateTimeOffset.UtcNow;
        foreach (var (challengeId, n) in challenges.Select((id, n) => (id, n)))
        {
            var facts = new DisputeFacts(challengeId, new Party { AgencyId = "police", ProfessionalId = "pc-101" },
                new Party { AgencyId = "childrens-social-care", ProfessionalId = "sw-7" }, false, false, "", "");
            var parked = new ParkedEvents(redis.Redis);
            var early = new ParkedEvents.Parked("t", "{}", "e", "s", time, null);
            // Parked while the raise is unknown (a condition on the facts key, in the same slot); not once it is known.
            Assert.True(await parked.ParkUnlessKnownAsync(challengeId, DisputeFactsStore.KeyOf(challengeId), early));
            Assert.True(await new DisputeFactsStore(redis.Redis).SaveOnceAsync(facts));
            Assert.False(await parked.ParkUnlessKnownAsync(challengeId, DisputeFactsStore.KeyOf(challengeId), early));
            var eventId = $"event-{n}";
            Assert.True(await _store.CreateAsync(challengeId, eventId,
                [Delivery(challengeId, eventId, "police", "pc-101", Channel.Stream, time.AddMilliseconds(n)),
                 Delivery(challengeId, eventId, "police", "", Channel.Webhook, time.AddMilliseconds(n))], []));
            // The event's marker refuses a second write of its deliveries.
            Assert.False(await _store.CreateAsync(challengeId, eventId, [Delivery(challengeId, eventId, "police", "pc-101", Channel.Stream, time)], []));
        }

        foreach (var challengeId in challenges)
        {
            var slot = HashSlot.Of(DeliveryStore.DeliveriesKey(challengeId));
            var tag = RedisPartitions.TagOf(challengeId);
            var keys = ClusterKeys.Matching(redis.Redis, $"notification:{{{tag[1..^1]}}}:*")
                .Where(key => key.Contains(challengeId, StringComparison.Ordinal) || key.Contains(":events:", StringComparison.Ordinal));
            Assert.All(keys, key => Assert.Equal(slot, HashSlot.Of(key)));
        }
        // Across partitions, the agency's log and its watch streams come back whole and in creation order.
        var page = await _store.PageAsync(DeliveryStore.AgencyIndexes("police"), after: null, take: 100);
        Assert.Equal(24, page.Count);
        Assert.Equal(page.Select(p => p.Position).Order(StringComparer.Ordinal), page.Select(p => p.Position));
        Assert.Equal(challenges, page.Where((_, i) => i % 2 == 0).Select(p => DeliveryStore.IdsOf(p.Delivery!.Name).ChallengeId));
        var recipient = await _store.PageAsync(DeliveryStore.RecipientIndexes("police", "pc-101"), after: page[9].Position, take: 100);
        Assert.Equal(challenges[5..], recipient.Select(p => DeliveryStore.IdsOf(p.Delivery!.Name).ChallengeId));
        var watched = await _store.ReadAgencyStreamAsync("police", WatchCursor.Start(RedisPartitions.Count), 100);
        Assert.Equal(challenges.Order(StringComparer.Ordinal), watched.Select(w => DeliveryStore.IdsOf(w.Delivery!.Name).ChallengeId).Order(StringComparer.Ordinal));
        var queued = RedisPartitions.All.Sum(p => redis.Redis.GetDatabase().StreamLength(DeliveryStore.SendQueue(p)));
        Assert.Equal(12, queued);
    }

    [Fact]
    public async Task Subscriptions_with_their_secrets_addresses_and_request_ids_share_one_slot()
    {
        var webhooks = new WebhookSubscriptionStore(redis.Redis);
        var emails = new EmailSubscriptionStore(redis.Redis);

        Assert.True(await webhooks.AddAsync("police", "w1", new WebhookSubscription { Name = "agencies/police/webhookSubscriptions/w1", Url = "https://example.org/hook" }, "secret", 5));
        var request = EmailSubscriptionStore.RequestKey("police", "police", "lead-1", "r-1");
        var (added, _) = await emails.AddAsync("police", "e1", "hub@police.example", new EmailSubscription { Name = "agencies/police/emailSubscriptions/e1" }, 5, request, "fp");
        Assert.True(await webhooks.DeleteAsync("police", "w1", "agencies/police/webhookSubscriptions/w1"));

        Assert.Equal(EmailSubscriptionAdded.Added, added);
        var keys = ClusterKeys.Matching(redis.Redis, "notification:*");
        Assert.NotEmpty(keys);
        Assert.All(keys, key => Assert.StartsWith("notification:" + SubscriptionKeys.Tag + ":", key));
        Assert.Single(keys.Select(key => HashSlot.Of(key)).Distinct());
        Assert.NotNull(await redis.Redis.GetDatabase().KeyTimeToLiveAsync(request));
    }

    [Fact]
    public void A_parked_event_is_handled_again_in_its_disputes_context()
    {
        // Its processed mark is keyed in the dispute's slot, as on a first delivery: without the dispute the
        // replayed handler's transaction would cross slots on a cluster, and the mark would not be the one checked.
        var parked = new ParkedEvents.Parked("t", "{}", "event-1", "challenge", DateTimeOffset.UnixEpoch, null);

        var context = ParkedEvents.ContextOf(parked, "01JD0000000000000000000042");

        Assert.Equal(("event-1", "01JD0000000000000000000042"), (context.EventId, context.DisputeId));
    }

    private static Delivery Delivery(string challengeId, string eventId, string agency, string professional, Channel channel, DateTimeOffset at) => new()
    {
        Name = $"challenges/{challengeId}/deliveries/{DeliveryIds.For(eventId, new Notice(RecipientRole.Referrer, new Party { AgencyId = agency, ProfessionalId = professional }, "n", Stage.ProfessionalDiscussion, "m"), channel, channel.ToString())}",
        Recipient = new Party { AgencyId = agency, ProfessionalId = professional },
        Channel = channel,
        Status = channel == Channel.Stream ? DeliveryStatus.Delivered : DeliveryStatus.Pending,
        CreateTime = Timestamp.FromDateTimeOffset(at),
        EventId = eventId,
        Notice = "n",
        Message = "m",
    };
}
