using System.Net;
using System.Text.Json;
using Disputes.EventBus.Redis;
using Disputes.Notification.Domain;
using Disputes.Notification.Grpc;
using Disputes.Notification.Storage;
using Disputes.Procedure;
using Disputes.Redis;
using Disputes.ServiceDefaults.Grpc;
using Disputes.V1;
using Disputes.V1.Events;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Microsoft.Extensions.DependencyInjection;
using StackExchange.Redis;

namespace Disputes.IntegrationTests;

/// <summary>The notification service against a real redis-server: deliveries, the log, webhooks, the watch stream.</summary>
[Collection(RedisCollection.Name)]
public sealed class NotificationDeliveryTests(RedisServerFixture redis) : IAsyncLifetime
{
    public Task InitializeAsync() => redis.FlushAsync();

    public Task DisposeAsync() => Task.CompletedTask;

    private IDatabase Db => redis.Redis.GetDatabase();

    private static string NewId() => SortableId.New(TimeProvider.System);

    /// <summary>A challenge id of one partition, for a test that reads one partition's stream.</summary>
    private static string NewIdIn(int partition)
    {
        while (true)
        {
            var id = NewId();
            if (RedisPartitions.Of(id) == partition)
                return id;
        }
    }

    private async Task<long> AgencyStreamLengthAsync(string agency)
    {
        long length = 0;
        foreach (var partition in RedisPartitions.All)
            length += await Db.StreamLengthAsync(DeliveryStore.AgencyStream(agency, partition));
        return length;
    }

    private async Task<StreamEntry[]> AllAsync(Func<int, RedisKey> keyOf)
    {
        var entries = new List<StreamEntry>();
        foreach (var partition in RedisPartitions.All)
            entries.AddRange(await Db.StreamRangeAsync(keyOf(partition)));
        return entries.ToArray();
    }

    private async Task<long> PendingSendsAsync()
    {
        long pending = 0;
        foreach (var partition in RedisPartitions.All)
        {
            if (await Db.KeyExistsAsync(DeliveryStore.SendQueue(partition)))
                pending += (await Db.StreamPendingAsync(DeliveryStore.SendQueue(partition), "senders")).PendingMessageCount;
        }
        return pending;
    }

    public static ChallengeRaised Raise(string id, string raising = "police", string receiving = "childrens-social-care", bool lookedAfter = false) => new()
    {
        Challenge = $"challenges/{id}",
        Version = 1,
        OccurTime = Timestamp.FromDateTimeOffset(DateTimeOffset.UtcNow),
        RaisingParty = new Party { AgencyId = raising, ProfessionalId = "pc-101", Role = "police officer" },
        ReceivingParty = new Party { AgencyId = receiving, ProfessionalId = "sw-7", Role = "social worker" },
        Child = new ChildReference { Reference = "child-ref-42", LookedAfter = lookedAfter, LocalAuthorityId = lookedAfter ? receiving : "" },
        Category = Category.CaseClosure,
        Subject = "The case was closed after a single home visit.",
        UnsafePracticeReason = "Neglect was reported again.",
        DesiredChange = "Re-open the case.",
        ImpactOnChild = "No support plan.",
    };

    private static async Task<ListDeliveriesResponse> DeliveriesAsync(NotificationHost host, string parent, Metadata caller, int atLeast,
        Func<ListDeliveriesRequest, ListDeliveriesRequest>? shape = null)
    {
        ListDeliveriesResponse? last = null;
        await Eventually.HoldsAsync(async () =>
        {
            try
            {
                var request = new ListDeliveriesRequest { Parent = parent, PageSize = 100 };
                last = await host.Client.ListDeliveriesAsync(shape is null ? request : shape(request), caller);
                return last.Deliveries.Count >= atLeast;
            }
            catch (RpcException ex) when (ex.StatusCode == StatusCode.NotFound)
            {
                return false;
            }
        }, $"{parent} has {atLeast} deliveries");
        return last!;
    }

    [Fact]
    public async Task A_raise_is_delivered_to_both_professionals_once_even_when_redelivered_after_a_crash()
    {
        await using var host = await NotificationHost.StartAsync(redis);
        var id = NewId();
        var envelope = await host.PublishAsync(Raise(id));
        var referrer = host.Bearer("pc-101", "police");

        var first = await DeliveriesAsync(host, $"challenges/{id}", referrer, 2);

        // A crash after the deliveries were written but before the event was marked handled: the bus delivers it again.
        await Db.KeyDeleteAsync(RedisProcessedEvents.KeyOf("notification", envelope.Id, envelope.DisputeId));
        await host.PublishAsync(envelope);
        await Eventually.HoldsAsync(async () => await Db.KeyExistsAsync(RedisProcessedEvents.KeyOf("notification", envelope.Id, envelope.DisputeId)), "the redelivery is handled");

        var again = await host.Client.ListDeliveriesAsync(new ListDeliveriesRequest { Parent = $"challenges/{id}" }, referrer);
        Assert.Equal(first.Deliveries, again.Deliveries);
        Assert.Equal(2, again.Deliveries.Count);
        Assert.All(again.Deliveries, d => Assert.Equal(DeliveryStatus.Delivered, d.Status));
        Assert.Equal(2, await AgencyStreamLengthAsync("police") + await AgencyStreamLengthAsync("childrens-social-care"));
        // Each delivered notice is published once, for the record to show when the referrer was told.
        await Eventually.HoldsAsync(async () => await Db.StreamLengthAsync("notification-delivered") == 2, "two NotificationDelivered events are published");
        var published = (await Db.StreamRangeAsync("notification-delivered"))
            .Select(e => JsonDocument.Parse(e["data"].ToString()).RootElement.GetProperty("data"))
            .ToArray();
        Assert.Contains(published, d => d.GetProperty("recipientRole").GetString() == "RECIPIENT_ROLE_REFERRER"
            && d.GetProperty("status").GetString() == "DELIVERY_STATUS_DELIVERED" && d.GetProperty("challenge").GetString() == $"challenges/{id}");
    }

    [Fact]
    public async Task Events_that_overtake_their_raise_are_parked_and_delivered_once_it_arrives()
    {
        await using var host = await NotificationHost.StartAsync(redis);
        var id = NewId();
        await host.PublishAsync(new ChallengeAcknowledged { Challenge = $"challenges/{id}", Version = 2, Actor = new Party { AgencyId = "childrens-social-care", ProfessionalId = "sw-7" } });
        await host.PublishAsync(new ChallengeEscalated { Challenge = $"challenges/{id}", Version = 3, FromStage = Stage.ProfessionalDiscussion, ToStage = Stage.LineManagers });
        await Eventually.HoldsAsync(async () => await Db.ListLengthAsync(ParkedEvents.KeyOf(id)) == 2, "both events are parked");

        await host.PublishAsync(Raise(id));

        var log = await DeliveriesAsync(host, $"challenges/{id}", host.Bearer("pc-101", "police"), 4);
        Assert.Equal(["challenge-acknowledged", "challenge-escalated", "challenge-received", "challenge-to-acknowledge"], log.Deliveries.Select(d => d.Notice).Order());
        await Eventually.HoldsAsync(async () => await Db.ListLengthAsync(ParkedEvents.KeyOf(id)) == 0, "the parked events are replayed");
        Assert.Equal(0, await Db.StreamLengthAsync("challenge-acknowledged-deadletter"));
    }

    [Fact]
    public async Task A_second_raise_naming_other_parties_is_dead_lettered_and_hands_nobody_the_deliveries()
    {
        await using var host = await NotificationHost.StartAsync(redis);
        var id = NewId();
        await host.PublishAsync(Raise(id));
        await DeliveriesAsync(host, $"challenges/{id}", host.Bearer("pc-101", "police"), 2);

        await host.PublishAsync(Raise(id, raising: "intruder", receiving: "another"));

        await Eventually.HoldsAsync(async () => await Db.StreamLengthAsync("challenge-raised-deadletter") == 1, "the contradicting raise is dead-lettered");
        var denied = await Assert.ThrowsAsync<RpcException>(() =>
            host.Client.ListDeliveriesAsync(new ListDeliveriesRequest { Parent = $"challenges/{id}" }, host.Bearer("x-1", "intruder")).ResponseAsync);
        Assert.Equal(StatusCode.PermissionDenied, denied.StatusCode);
    }

    [Fact]
    public async Task The_log_of_a_challenge_lists_every_delivery_for_every_reader_with_pages_filters_and_a_support_projection()
    {
        await using var host = await NotificationHost.StartAsync(redis);
        var id = NewId();
        await host.PublishAsync(Raise(id, lookedAfter: true));
        await DeliveriesAsync(host, $"challenges/{id}", host.Bearer("pc-101", "police"), 2);
        await host.PublishAsync(new ChallengeReviewed { Challenge = $"challenges/{id}", Version = 4, Justified = false, Reasons = "THE REASONS", State = ChallengeState.ClosedNotJustified });
        var parent = $"challenges/{id}";

        // The receiving agency reads every delivery about the challenge, but not the referrer's message.
        var receiving = await DeliveriesAsync(host, parent, host.Bearer("sw-7", "childrens-social-care"), 4);
        Assert.Equal(4, receiving.Deliveries.Count);
        var toReferrer = receiving.Deliveries.Where(d => d.RecipientRole == RecipientRole.Referrer).ToArray();
        Assert.Equal(2, toReferrer.Length);
        Assert.All(toReferrer, d => Assert.Equal("", d.Message));
        Assert.All(receiving.Deliveries.Where(d => d.Recipient.AgencyId == "childrens-social-care"), d => Assert.NotEmpty(d.Message));

        // The referrer reads the reasons; oldest first.
        var referrerView = await host.Client.ListDeliveriesAsync(new ListDeliveriesRequest { Parent = parent }, host.Bearer("pc-101", "police"));
        Assert.Equal(["challenge-received", "challenge-to-acknowledge", "review-not-justified", "review-not-justified"], referrerView.Deliveries.Select(d => d.Notice));
        Assert.Contains("THE REASONS", referrerView.Deliveries.Single(d => d.Notice == "review-not-justified" && d.RecipientRole == RecipientRole.Referrer).Message);

        // An IRO of the child's local authority, and the partnership, may read it too.
        await DeliveriesAsync(host, parent, host.Bearer("iro-1", "childrens-social-care", DisputeRoles.IndependentReviewingOfficer), 4);
        var partnership = await DeliveriesAsync(host, parent, host.Bearer("scp-1", "safeguarding-partnership", DisputeRoles.Partnership), 4);
        Assert.All(partnership.Deliveries, d => Assert.Equal("", d.Message));

        // Support: the allowlist only.
        var support = await DeliveriesAsync(host, parent, host.Bearer("eng-1", "suite-support", DisputeRoles.Support), 4);
        Assert.All(support.Deliveries, d =>
        {
            Assert.Equal("", d.Message);
            Assert.Equal("", d.Destination);
            Assert.Equal("", d.Recipient.Role);
            Assert.NotEmpty(d.Name);
            Assert.NotEqual(Stage.Unspecified, d.Stage);
        });

        // Pages of one, in the same order as the whole list.
        var names = new List<string>();
        var token = "";
        do
        {
            var page = await host.Client.ListDeliveriesAsync(new ListDeliveriesRequest { Parent = parent, PageSize = 1, PageToken = token }, host.Bearer("pc-101", "police"));
            names.AddRange(page.Deliveries.Select(d => d.Name));
            token = page.NextPageToken;
        } while (token.Length > 0);
        Assert.Equal(referrerView.Deliveries.Select(d => d.Name), names);

        // Filters: by recipient agency and professional, by status.
        var toPolice = await host.Client.ListDeliveriesAsync(new ListDeliveriesRequest { Parent = parent, RecipientAgencyId = "police" }, host.Bearer("pc-101", "police"));
        Assert.All(toPolice.Deliveries, d => Assert.Equal("police", d.Recipient.AgencyId));
        Assert.Equal(2, toPolice.Deliveries.Count);
        var failed = await host.Client.ListDeliveriesAsync(new ListDeliveriesRequest { Parent = parent, Status = DeliveryStatus.Failed }, host.Bearer("pc-101", "police"));
        Assert.Empty(failed.Deliveries);

        // By agency and by recipient.
        var agency = await host.Client.ListDeliveriesAsync(new ListDeliveriesRequest { Parent = "agencies/childrens-social-care", RecipientProfessionalId = "sw-7" }, host.Bearer("tm-3", "childrens-social-care", DisputeRoles.LineManager));
        Assert.Equal(2, agency.Deliveries.Count);
        Assert.All(agency.Deliveries, d => Assert.Equal("sw-7", d.Recipient.ProfessionalId));
    }

    [Fact]
    public async Task Bad_requests_get_the_right_status()
    {
        await using var host = await NotificationHost.StartAsync(redis);
        var id = NewId();
        await host.PublishAsync(Raise(id));
        await DeliveriesAsync(host, $"challenges/{id}", host.Bearer("pc-101", "police"), 2);
        var referrer = host.Bearer("pc-101", "police");

        async Task<RpcException> Fails(Func<Task> call) => await Assert.ThrowsAsync<RpcException>(call);

        Assert.Equal(StatusCode.InvalidArgument, (await Fails(() => host.Client.ListDeliveriesAsync(new ListDeliveriesRequest { Parent = "challenges/nope" }, referrer).ResponseAsync)).StatusCode);
        Assert.Equal(StatusCode.InvalidArgument, (await Fails(() => host.Client.ListDeliveriesAsync(new ListDeliveriesRequest { Parent = $"challenges/{id}", PageToken = "%%%" }, referrer).ResponseAsync)).StatusCode);
        Assert.Equal(StatusCode.InvalidArgument, (await Fails(() => host.Client.ListDeliveriesAsync(new ListDeliveriesRequest { Parent = $"challenges/{id}", Status = (DeliveryStatus)42 }, referrer).ResponseAsync)).StatusCode);
        Assert.Equal(StatusCode.NotFound, (await Fails(() => host.Client.ListDeliveriesAsync(new ListDeliveriesRequest { Parent = $"challenges/{NewId()}" }, referrer).ResponseAsync)).StatusCode);
        Assert.Equal(StatusCode.PermissionDenied, (await Fails(() => host.Client.ListDeliveriesAsync(new ListDeliveriesRequest { Parent = $"challenges/{id}" }, host.Bearer("hv-1", "health")).ResponseAsync)).StatusCode);
        Assert.Equal(StatusCode.PermissionDenied, (await Fails(() => host.Client.ListDeliveriesAsync(new ListDeliveriesRequest { Parent = "agencies/police" }, host.Bearer("hv-1", "health")).ResponseAsync)).StatusCode);
        Assert.Equal(StatusCode.Unauthenticated, (await Fails(() => host.Client.ListDeliveriesAsync(new ListDeliveriesRequest { Parent = $"challenges/{id}" }).ResponseAsync)).StatusCode);

        var manager = host.Bearer("sgt-5", "police", DisputeRoles.LineManager);
        var badUrl = await Fails(() => host.Client.CreateWebhookSubscriptionAsync(new CreateWebhookSubscriptionRequest
            { Parent = "agencies/police", Subscription = new WebhookSubscription { Url = "http://agency.example.org/hooks" } }, manager).ResponseAsync);
        Assert.Equal(StatusCode.InvalidArgument, badUrl.StatusCode);
        Assert.Contains("subscription.url", badUrl.Status.Detail);
        Assert.Equal(StatusCode.PermissionDenied, (await Fails(() => host.Client.CreateWebhookSubscriptionAsync(new CreateWebhookSubscriptionRequest
            { Parent = "agencies/police", Subscription = new WebhookSubscription { Url = "http://127.0.0.1:9/hooks" } }, referrer).ResponseAsync)).StatusCode);
        Assert.Equal(StatusCode.PermissionDenied, (await Fails(() => host.Client.CreateWebhookSubscriptionAsync(new CreateWebhookSubscriptionRequest
            { Parent = "agencies/health", Subscription = new WebhookSubscription { Url = "http://127.0.0.1:9/hooks" } }, manager).ResponseAsync)).StatusCode);
        Assert.Equal(StatusCode.InvalidArgument, (await Fails(() => host.Client.CreateWebhookSubscriptionAsync(new CreateWebhookSubscriptionRequest
            { Parent = "agencies/police" }, manager).ResponseAsync)).StatusCode);
        Assert.Equal(StatusCode.NotFound, (await Fails(() => host.Client.DeleteWebhookSubscriptionAsync(new DeleteWebhookSubscriptionRequest
            { Name = $"agencies/police/webhookSubscriptions/{NewId()}" }, manager).ResponseAsync)).StatusCode);
        Assert.Equal(StatusCode.InvalidArgument, (await Fails(() => host.Client.WatchNotifications(new WatchNotificationsRequest
            { Parent = "agencies/police", ResumeCursor = "not-a-cursor" }, referrer).ResponseStream.MoveNext())).StatusCode);
        Assert.Equal(StatusCode.PermissionDenied, (await Fails(() => host.Client.WatchNotifications(new WatchNotificationsRequest
            { Parent = "agencies/health" }, referrer).ResponseStream.MoveNext())).StatusCode);
    }

    [Fact]
    public async Task A_registered_webhook_receives_signed_notices_that_verify_as_the_specification_says()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        await using var host = await NotificationHost.StartAsync(redis);
        var manager = host.Bearer("sgt-5", "police", DisputeRoles.LineManager);
        var created = await host.Client.CreateWebhookSubscriptionAsync(new CreateWebhookSubscriptionRequest
            { Parent = "agencies/police", Subscription = new WebhookSubscription { Url = receiver.Url, SigningSecret = "chosen-by-caller", Name = "ignored" } }, manager);
        receiver.Secret = created.SigningSecret;

        Assert.StartsWith("agencies/police/webhookSubscriptions/", created.Name);
        Assert.StartsWith("whsec_", created.SigningSecret);
        Assert.Equal(32, Convert.FromBase64String(created.SigningSecret["whsec_".Length..]).Length);
        Assert.Equal("sgt-5", created.Creator);
        var listed = Assert.Single((await host.Client.ListWebhookSubscriptionsAsync(new ListWebhookSubscriptionsRequest { Parent = "agencies/police" }, manager)).Subscriptions);
        Assert.Equal("", listed.SigningSecret);
        Assert.Equal(created.SigningSecretId, listed.SigningSecretId);

        var id = NewId();
        await host.PublishAsync(Raise(id));

        await Eventually.HoldsAsync(() => !receiver.Requests.IsEmpty, "the webhook is called");
        var request = Assert.Single(receiver.Requests);
        Assert.True(request.SignatureValid);
        using var body = JsonDocument.Parse(request.Body);
        Assert.Equal("disputes.notification.challenge-received", body.RootElement.GetProperty("type").GetString());
        Assert.Equal(DateTimeOffset.UtcNow.Year, body.RootElement.GetProperty("timestamp").GetDateTimeOffset().Year);
        var data = body.RootElement.GetProperty("data");
        Assert.Equal("pc-101", data.GetProperty("recipient").GetProperty("professionalId").GetString());
        Assert.DoesNotContain("child-ref-42", request.Body);
        Assert.DoesNotContain("Neglect", request.Body);

        var webhook = (await DeliveriesAsync(host, $"challenges/{id}", manager, 3, r => { r.Status = DeliveryStatus.Delivered; return r; }))
            .Deliveries.Single(d => d.Channel == Channel.Webhook);
        Assert.Equal(created.Name, webhook.Destination);
        Assert.Equal(1, webhook.Attempts);
        Assert.EndsWith("/" + request.Id, webhook.Name);

        // Deleted: later notices are not sent there.
        await host.Client.DeleteWebhookSubscriptionAsync(new DeleteWebhookSubscriptionRequest { Name = created.Name }, manager);
        Assert.Empty((await host.Client.ListWebhookSubscriptionsAsync(new ListWebhookSubscriptionsRequest { Parent = "agencies/police" }, manager)).Subscriptions);
    }

    [Fact]
    public async Task A_failing_receiver_is_retried_under_the_same_id_with_a_fresh_signature_until_it_answers()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        receiver.Respond = n => n <= 2 ? HttpStatusCode.InternalServerError : HttpStatusCode.NoContent;
        await using var host = await NotificationHost.StartAsync(redis);
        await RegisterAsync(host, receiver, "police");

        var id = NewId();
        await host.PublishAsync(Raise(id));

        var webhook = await WebhookDeliveryAsync(host, id, DeliveryStatus.Delivered);
        Assert.Equal(3, webhook.Attempts);
        Assert.Equal(3, receiver.Requests.Count);
        // Each attempt is logged: the two 500s, then the success; never the body or the secret.
        Assert.Equal(["failed", "failed", "delivered"], webhook.AttemptsLog.Select(a => a.Outcome));
        Assert.Equal([500, 500, 0], webhook.AttemptsLog.Select(a => a.StatusCode));
        Assert.Equal(["HttpRequestException", "HttpRequestException", ""], webhook.AttemptsLog.Select(a => a.ErrorKind));
        Assert.All(webhook.AttemptsLog, a => { Assert.NotNull(a.Time); Assert.NotNull(a.Duration); });
        Assert.True(webhook.AttemptsLog[0].Time.ToDateTimeOffset() <= webhook.AttemptsLog[2].Time.ToDateTimeOffset());
        Assert.Single(receiver.UniqueIds);
        Assert.All(receiver.Requests, r => Assert.True(r.SignatureValid));
    }

    [Fact]
    public async Task A_receiver_that_never_answers_is_given_up_into_the_dead_letters_and_the_outcome_published()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        receiver.Respond = _ => HttpStatusCode.ServiceUnavailable;
        await using var host = await NotificationHost.StartAsync(redis);
        await RegisterAsync(host, receiver, "police");

        var id = NewId();
        await host.PublishAsync(Raise(id));

        var webhook = await WebhookDeliveryAsync(host, id, DeliveryStatus.Failed);
        Assert.Equal(4, webhook.Attempts);
        Assert.Equal(4, receiver.Requests.Count);
        Assert.Equal(4, webhook.AttemptsLog.Count);
        Assert.All(webhook.AttemptsLog, a => { Assert.Equal("failed", a.Outcome); Assert.Equal(503, a.StatusCode); });
        var dead = Assert.Single(await AllAsync(DeliveryStore.DeadLetters));
        Assert.Equal(webhook.Name.Split('/')[3], dead[DeliveryStore.DeliveryIdField].ToString());
        await Eventually.HoldsAsync(async () => (await Db.StreamRangeAsync("notification-delivered"))
            .Any(e => e["data"].ToString().Contains("DELIVERY_STATUS_FAILED")), "the given-up delivery is published");
        Assert.Equal(0, await PendingSendsAsync());
        // A done job is not kept.
        Assert.Empty(await AllAsync(DeliveryStore.SendQueue));
    }

    [Fact]
    public async Task An_unreadable_send_job_is_dead_lettered_and_a_slow_endpoint_does_not_hold_up_the_others()
    {
        await using var slow = await WebhookReceiver.StartAsync();
        slow.Delay = TimeSpan.FromSeconds(20);
        await using var fast = await WebhookReceiver.StartAsync();
        await Db.StreamAddAsync(DeliveryStore.SendQueue(3), "unexpected", "entry");
        await using var host = await NotificationHost.StartAsync(redis, new Dictionary<string, string?> { ["Notification:Sending:Concurrency"] = "4" });
        await RegisterAsync(host, slow, "childrens-social-care");
        await RegisterAsync(host, fast, "police");

        await host.PublishAsync(Raise(NewId()));
        await Eventually.HoldsAsync(() => !slow.Requests.IsEmpty && !fast.Requests.IsEmpty, "both endpoints are called");

        // While the slow endpoint still holds its delivery, later deliveries elsewhere go out at once.
        var later = NewId();
        var started = DateTime.UtcNow;
        await host.PublishAsync(Raise(later));
        var webhook = await WebhookDeliveryAsync(host, later, DeliveryStatus.Delivered);
        Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(10), "a later delivery waited for the slow endpoint");
        Assert.Equal("police", webhook.Recipient.AgencyId);
        Assert.Equal(2, fast.Requests.Count);
        Assert.Single(await AllAsync(DeliveryStore.DeadLetters), e => e["job"].HasValue);
    }

    [Fact]
    public async Task A_send_job_that_fails_every_time_it_is_taken_is_dead_lettered_after_a_bound()
    {
        var challengeId = NewId();
        // A delivery whose stored bytes cannot be read: every sender that takes the job fails on it.
        var partition = RedisPartitions.Of(challengeId);
        await Db.HashSetAsync(DeliveryStore.DeliveriesKey(challengeId), "poison", new byte[] { 0xFF, 0xFF, 0xFF });
        await Db.StreamAddAsync(DeliveryStore.SendQueue(partition), [new NameValueEntry(DeliveryStore.ChallengeField, challengeId), new NameValueEntry(DeliveryStore.DeliveryIdField, "poison")]);
        await using var host = await NotificationHost.StartAsync(redis, new Dictionary<string, string?> { ["Notification:Sending:ReclaimAfter"] = "00:00:00.200" });

        await Eventually.HoldsAsync(async () => (await Db.StreamRangeAsync(DeliveryStore.DeadLetters(partition))).Any(e => e[DeliveryStore.DeliveryIdField] == "poison"),
            "the poison job is dead-lettered", TimeSpan.FromSeconds(30));
        Assert.Equal(0, (await Db.StreamPendingAsync(DeliveryStore.SendQueue(partition), "senders")).PendingMessageCount);
        Assert.Equal(0, await Db.HashLengthAsync(Disputes.Notification.Sending.DeliverySender.JobTries(partition)));
    }

    [Fact]
    public async Task The_circuit_breaker_stops_calling_an_endpoint_that_keeps_failing()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        receiver.Respond = _ => HttpStatusCode.InternalServerError;
        await using var host = await NotificationHost.StartAsync(redis, new Dictionary<string, string?>
        {
            ["Notification:Sending:BreakerMinimumThroughput"] = "4",
            ["Notification:Sending:BreakerFailureRatio"] = "0.5",
            ["Notification:Sending:BreakDuration"] = "00:01:00",
            ["Notification:Sending:Concurrency"] = "1",
        });
        await RegisterAsync(host, receiver, "police");

        var ids = Enumerable.Range(0, 4).Select(_ => NewId()).ToArray();
        foreach (var id in ids)
            await host.PublishAsync(Raise(id));

        var failed = new List<Delivery>();
        foreach (var id in ids)
            failed.Add(await WebhookDeliveryAsync(host, id, DeliveryStatus.Failed));
        // Four deliveries of four attempts each would be sixteen calls; the open circuit spared the endpoint most of them.
        Assert.Equal(failed.Sum(d => d.Attempts), receiver.Requests.Count);
        Assert.True(receiver.Requests.Count <= 5, $"the endpoint was called {receiver.Requests.Count} times");
        Assert.Equal(4, (await AllAsync(DeliveryStore.DeadLetters)).Length);
    }

    [Fact]
    public async Task A_sender_that_dies_mid_delivery_is_taken_over_and_the_receiver_sees_one_id()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        receiver.Delay = TimeSpan.FromSeconds(30);
        var settings = new Dictionary<string, string?> { ["Notification:Sending:ReclaimAfter"] = "00:00:01" };
        var first = await NotificationHost.StartAsync(redis, settings);
        var subscription = await RegisterAsync(first, receiver, "police");
        var id = NewId();
        await first.PublishAsync(Raise(id));
        await Eventually.HoldsAsync(() => !receiver.Requests.IsEmpty, "the first sender is mid-delivery");
        await first.DisposeAsync();

        receiver.Delay = TimeSpan.Zero;
        await using var second = await NotificationHost.StartAsync(redis, settings);
        var webhook = await WebhookDeliveryAsync(second, id, DeliveryStatus.Delivered);

        Assert.True(receiver.Requests.Count >= 2);
        Assert.Single(receiver.UniqueIds);
        Assert.EndsWith("/" + receiver.UniqueIds[0], webhook.Name);
        var all = await second.Client.ListDeliveriesAsync(new ListDeliveriesRequest { Parent = $"challenges/{id}" }, second.Bearer("pc-101", "police"));
        Assert.Single(all.Deliveries, d => d.Channel == Channel.Webhook && d.Destination == subscription.Name);
    }

    [Fact]
    public async Task Outside_development_a_webhook_is_never_connected_to_a_loopback_address()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        await using var host = await NotificationHost.StartAsync(redis, new Dictionary<string, string?> { ["Notification:Webhooks:AllowLoopback"] = "false" });
        // Registration refuses the URL; one stored before the policy changed (or by a name that rebinds) is refused on connecting.
        var store = host.Services.GetRequiredService<WebhookSubscriptionStore>();
        var subscriptionId = NewId();
        await store.AddAsync("police", subscriptionId, new WebhookSubscription { Name = $"agencies/police/webhookSubscriptions/{subscriptionId}", Url = receiver.Url.Replace("127.0.0.1", "localhost") },
            Disputes.Notification.Domain.StandardWebhooks.NewSecret(), 10);

        var id = NewId();
        await host.PublishAsync(Raise(id));

        var webhook = await WebhookDeliveryAsync(host, id, DeliveryStatus.Failed);
        Assert.Empty(receiver.Requests);
        Assert.True(webhook.Attempts <= 1);
    }

    [Fact]
    public async Task A_watch_resumed_from_its_cursor_misses_nothing_and_repeats_nothing()
    {
        await using var host = await NotificationHost.StartAsync(redis);
        var agency = "police";
        var watcher = host.Bearer("sys-1", agency);
        var before = NewId();
        await host.PublishAsync(Raise(before));
        await DeliveriesAsync(host, $"challenges/{before}", watcher, 2);

        // A watch without a cursor starts with what is created after it opened.
        using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var firstWatch = host.Client.WatchNotifications(new WatchNotificationsRequest { Parent = $"agencies/{agency}" }, watcher, cancellationToken: cancel.Token);
        await Task.Delay(300);
        var ids = Enumerable.Range(0, 3).Select(_ => NewId()).ToArray();
        foreach (var id in ids)
            await host.PublishAsync(Raise(id));
        var seen = new List<Delivery>();
        while (seen.Count < 2 && await firstWatch.ResponseStream.MoveNext(cancel.Token))
            seen.Add(firstWatch.ResponseStream.Current);
        firstWatch.Dispose();
        // Each cursor moves one partition's position forward and keeps the others.
        Assert.True(WatchCursor.TryParse(seen[0].Cursor, RedisPartitions.Count, out var firstCursor));
        Assert.True(WatchCursor.TryParse(seen[1].Cursor, RedisPartitions.Count, out var secondCursor));
        Assert.NotEqual(seen[0].Cursor, seen[1].Cursor);
        Assert.All(RedisPartitions.All, p => Assert.True(DeliveryStore.CompareIds(firstCursor[p], secondCursor[p]) <= 0));

        // More arrive while disconnected; resuming after the last cursor received gets exactly the rest.
        var later = Enumerable.Range(0, 2).Select(_ => NewId()).ToArray();
        foreach (var id in later)
            await host.PublishAsync(Raise(id));
        foreach (var id in ids.Concat(later))
            await DeliveriesAsync(host, $"challenges/{id}", watcher, 2);
        var resumed = host.Client.WatchNotifications(new WatchNotificationsRequest { Parent = $"agencies/{agency}", ResumeCursor = seen[^1].Cursor }, watcher, cancellationToken: cancel.Token);
        var rest = new List<Delivery>();
        while (rest.Count < 3 && await resumed.ResponseStream.MoveNext(cancel.Token))
            rest.Add(resumed.ResponseStream.Current);
        resumed.Dispose();

        // Handled concurrently, the raises reach the stream in any order: what matters is that each is seen exactly once.
        static string ChallengeOf(Delivery d) => d.Name[..d.Name.IndexOf("/deliveries", StringComparison.Ordinal)];
        Assert.Equal(ids.Concat(later).Select(i => $"challenges/{i}").Order(), seen.Concat(rest).Select(ChallengeOf).Order());
        Assert.DoesNotContain($"challenges/{before}", seen.Concat(rest).Select(ChallengeOf));
        Assert.Empty(seen.Select(d => d.Name).Intersect(rest.Select(d => d.Name)));
        Assert.All(seen.Concat(rest), d =>
        {
            Assert.Equal(agency, d.Recipient.AgencyId);
            Assert.Equal(Channel.Stream, d.Channel);
            Assert.NotEmpty(d.Cursor);
            Assert.Equal("", d.Destination);
        });
    }

    [Fact]
    public async Task A_watch_resumed_after_deliveries_that_were_trimmed_is_told_rather_than_silently_missing_them()
    {
        await using var host = await NotificationHost.StartAsync(redis);
        var watcher = host.Bearer("sys-1", "police");
        // Two challenges of one partition: their deliveries share that partition's stream.
        const int partition = 5;
        var ids = new[] { NewIdIn(partition), NewIdIn(partition) };
        foreach (var id in ids)
        {
            await host.PublishAsync(Raise(id));
            await DeliveriesAsync(host, $"challenges/{id}", watcher, 2);
        }
        var entries = await Db.StreamRangeAsync(DeliveryStore.AgencyStream("police", partition));
        Assert.Equal(2, entries.Length);
        var start = WatchCursor.Start(RedisPartitions.Count);
        var oldest = start.After(partition, entries[0].Id.ToString()).ToString();

        // Nothing trimmed: resuming from the oldest gives the newer one.
        using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        var resumed = host.Client.WatchNotifications(new WatchNotificationsRequest { Parent = "agencies/police", ResumeCursor = oldest }, watcher, cancellationToken: cancel.Token);
        Assert.True(await resumed.ResponseStream.MoveNext(cancel.Token));
        Assert.Equal(start.After(partition, entries[1].Id.ToString()).ToString(), resumed.ResponseStream.Current.Cursor);
        resumed.Dispose();

        // The stream keeps a bounded length: once the entry after a cursor is gone, resuming there is refused.
        var newest = start.After(partition, entries[1].Id.ToString()).ToString();
        await Db.StreamTrimAsync(DeliveryStore.AgencyStream("police", partition), 1);
        var expired = await Assert.ThrowsAsync<RpcException>(() => host.Client.WatchNotifications(
            new WatchNotificationsRequest { Parent = "agencies/police", ResumeCursor = start.After(partition, "0-1").ToString() }, watcher, cancellationToken: cancel.Token).ResponseStream.MoveNext(cancel.Token));
        Assert.Equal(StatusCode.FailedPrecondition, expired.StatusCode);

        // A watcher that had seen the newest is still current.
        var third = NewId();
        var current = host.Client.WatchNotifications(new WatchNotificationsRequest { Parent = "agencies/police", ResumeCursor = newest }, watcher, cancellationToken: cancel.Token);
        await host.PublishAsync(Raise(third));
        Assert.True(await current.ResponseStream.MoveNext(cancel.Token));
        Assert.StartsWith($"challenges/{third}/", current.ResponseStream.Current.Name);
        current.Dispose();
    }

    [Fact]
    public async Task A_watch_sees_a_delivery_of_a_partition_whose_stream_lags_behind_another()
    {
        // The partitions' streams are written independently (on a cluster, by different nodes and clocks):
        // a cursor far ahead in one partition must not hide what another partition gets later.
        await using var host = await NotificationHost.StartAsync(redis);
        var watcher = host.Bearer("sys-1", "police");
        var id = NewIdIn(9);
        var ahead = WatchCursor.Start(RedisPartitions.Count).After(2, "99999999999999-0").ToString();

        using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        using var watch = host.Client.WatchNotifications(new WatchNotificationsRequest { Parent = "agencies/police", ResumeCursor = ahead }, watcher, cancellationToken: cancel.Token);
        await host.PublishAsync(Raise(id));

        Assert.True(await watch.ResponseStream.MoveNext(cancel.Token));
        Assert.StartsWith($"challenges/{id}/", watch.ResponseStream.Current.Name);
        Assert.True(WatchCursor.TryParse(watch.ResponseStream.Current.Cursor, RedisPartitions.Count, out var next));
        Assert.Equal("99999999999999-0", next[2]);
        Assert.NotEqual("0-0", next[9]);
    }

    private static async Task<WebhookSubscription> RegisterAsync(NotificationHost host, WebhookReceiver receiver, string agency)
    {
        var created = await host.Client.CreateWebhookSubscriptionAsync(new CreateWebhookSubscriptionRequest
            { Parent = $"agencies/{agency}", Subscription = new WebhookSubscription { Url = receiver.Url } }, host.Bearer("lead-1", agency, NotificationGrpcService.SafeguardingLeadRole));
        receiver.Secret = created.SigningSecret;
        return created;
    }

    private static async Task<Delivery> WebhookDeliveryAsync(NotificationHost host, string challengeId, DeliveryStatus status)
    {
        Delivery? found = null;
        await Eventually.HoldsAsync(async () =>
        {
            try
            {
                var list = await host.Client.ListDeliveriesAsync(new ListDeliveriesRequest { Parent = $"challenges/{challengeId}" }, host.Bearer("pc-101", "police"));
                found = list.Deliveries.FirstOrDefault(d => d.Channel == Channel.Webhook && d.Status == status);
                return found is not null;
            }
            catch (RpcException ex) when (ex.StatusCode == StatusCode.NotFound)
            {
                return false;
            }
        }, $"the webhook delivery of {challengeId} is {status}", TimeSpan.FromSeconds(30));
        return found!;
    }
}
