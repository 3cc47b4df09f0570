using Disputes.EventBus.Redis;
using Disputes.Notification.Grpc;
using Disputes.Notification.Sending;
using Disputes.Notification.Storage;
using Disputes.Procedure;
using Disputes.Redis;
using Disputes.ServiceDefaults.Grpc;
using Disputes.V1;
using Google.Rpc;
using Grpc.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using MimeKit;
using StackExchange.Redis;

namespace Disputes.IntegrationTests;

/// <summary>
/// Email subscriptions against a real redis-server, and email over SMTP (MailKit) to a real SMTP
/// server on loopback: what a subscription receives, filters, and stops receiving once deleted.
/// </summary>
[Collection(RedisCollection.Name)]
public sealed class NotificationEmailTests(RedisServerFixture redis, SmtpServerFixture smtp) : IClassFixture<SmtpServerFixture>, IAsyncLifetime
{
    public Task InitializeAsync() => redis.FlushAsync();

    public Task DisposeAsync() => Task.CompletedTask;

    private IDatabase Db => redis.Redis.GetDatabase();

    private static string NewId() => SortableId.New(TimeProvider.System);

    /// <summary>A fresh address per test: the SMTP server's maildir is shared by the class.</summary>
    private static string NewAddress(string agency) => $"safeguarding-{Guid.NewGuid():N}@{agency}.example.org";

    private Task<NotificationHost> StartAsync(IDictionary<string, string?>? extra = null)
    {
        var settings = new Dictionary<string, string?>
        {
            ["Notification:Email:Host"] = "127.0.0.1",
            ["Notification:Email:Port"] = smtp.Port.ToString(),
            ["Notification:Email:Security"] = "None",
            ["Notification:Email:From"] = "notifications@suite.example.org",
            ["Notification:Email:ChallengeLink"] = "https://portal.example.org/challenges/{challenge}",
        };
        foreach (var (key, value) in extra ?? new Dictionary<string, string?>())
            settings[key] = value;
        return NotificationHost.StartAsync(redis, settings);
    }

    private static Task<EmailSubscription> SubscribeAsync(NotificationHost host, string agency, string address, string displayName = "", params string[] notices) =>
        host.Client.CreateEmailSubscriptionAsync(new CreateEmailSubscriptionRequest
        {
            Parent = $"agencies/{agency}",
            Subscription = new EmailSubscription { Address = address, DisplayName = displayName, Notices = { notices } },
        }, host.Bearer("sgt-5", agency, DisputeRoles.LineManager)).ResponseAsync;

    private IReadOnlyList<MimeMessage> MessagesTo(string address) =>
        smtp.Messages().Where(m => m.To.Mailboxes.Any(to => to.Address == address)).ToArray();

    private static async Task<IReadOnlyList<Delivery>> DeliveriesAsync(NotificationHost host, string challengeId, Func<IReadOnlyList<Delivery>, bool> until, string what)
    {
        IReadOnlyList<Delivery> last = [];
        await Eventually.HoldsAsync(async () =>
        {
            try
            {
                var list = await host.Client.ListDeliveriesAsync(new ListDeliveriesRequest { Parent = $"challenges/{challengeId}", PageSize = 100 }, host.Bearer("pc-101", "police"));
                last = list.Deliveries;
                return until(last);
            }
            catch (RpcException ex) when (ex.StatusCode == StatusCode.NotFound)
            {
                return false;
            }
        }, what, TimeSpan.FromSeconds(30));
        return last;
    }

    /// <summary>Every send job was taken and acknowledged: nothing more will be sent.</summary>
    private async Task SendQueueDrainedAsync() =>
        await Eventually.HoldsAsync(async () =>
        {
            foreach (var partition in RedisPartitions.All)
            {
                var last = await Db.StreamRangeAsync(DeliveryStore.SendQueue(partition), "-", "+", count: 1, messageOrder: Order.Descending);
                if (last.Length == 0)
                    continue;
                var group = (await Db.StreamGroupInfoAsync(DeliveryStore.SendQueue(partition))).SingleOrDefault();
                if (group.PendingMessageCount != 0 || group.LastDeliveredId != last[0].Id)
                    return false;
            }
            return true;
        }, "every send job is done", TimeSpan.FromSeconds(30));

    [Fact]
    public async Task A_created_subscription_is_emailed_the_agency_notices_as_text_and_html_with_a_link_to_the_challenge()
    {
        await using var host = await StartAsync();
        var address = NewAddress("police");
        var subscription = await SubscribeAsync(host, "police", address, "Police Safeguarding Hub");
        var id = NewId();

        await host.PublishAsync(NotificationDeliveryTests.Raise(id));

        var email = (await DeliveriesAsync(host, id, ds => ds.Any(d => d.Channel == Channel.Email && d.Status == DeliveryStatus.Delivered), "the email is delivered"))
            .Single(d => d.Channel == Channel.Email);
        var message = Assert.Single(MessagesTo(address));
        Assert.Equal($"{email.Name.Split('/')[3]}@disputes.notification", message.MessageId);
        Assert.Equal("Police Safeguarding Hub", message.To.Mailboxes.Single().Name);
        Assert.Equal("notifications@suite.example.org", message.From.Mailboxes.Single().Address);
        Assert.Contains(id, message.Subject);
        Assert.Contains($"https://portal.example.org/challenges/{id}", message.TextBody);
        Assert.Contains($"href=\"https://portal.example.org/challenges/{id}\"", message.HtmlBody);
        Assert.Contains("has been received", message.TextBody);
        Assert.DoesNotContain("child-ref-42", message.ToString());
        Assert.Equal(subscription.Name, email.Destination);
        Assert.Equal(RecipientRole.Referrer, email.RecipientRole);
        // Only the police subscribed: the receiving agency's notice goes by its stream alone.
        var all = await DeliveriesAsync(host, id, ds => ds.Count >= 3, "every delivery is written");
        Assert.Equal(3, all.Count);
        Assert.DoesNotContain(all, d => d.Channel == Channel.Email && d.Recipient.AgencyId != "police");
    }

    [Fact]
    public async Task A_subscription_receives_only_the_notices_it_names()
    {
        await using var host = await StartAsync();
        var everything = NewAddress("police");
        var received = NewAddress("police");
        var withdrawn = NewAddress("police");
        await SubscribeAsync(host, "police", everything);
        var toReceived = await SubscribeAsync(host, "police", received, "", "challenge-received");
        await SubscribeAsync(host, "police", withdrawn, "", "challenge-withdrawn");
        var id = NewId();

        await host.PublishAsync(NotificationDeliveryTests.Raise(id));

        await DeliveriesAsync(host, id, ds => ds.Count(d => d.Channel == Channel.Email && d.Status == DeliveryStatus.Delivered) == 2, "two emails are delivered");
        await SendQueueDrainedAsync();
        Assert.Single(MessagesTo(everything));
        Assert.Single(MessagesTo(received));
        Assert.Empty(MessagesTo(withdrawn));

        await host.PublishAsync(new Disputes.V1.Events.ChallengeWithdrawn
        {
            Challenge = $"challenges/{id}",
            Version = 2,
            Actor = new Party { AgencyId = "police", ProfessionalId = "pc-101" },
        });

        var after = await DeliveriesAsync(host, id, ds => ds.Count(d => d.Channel == Channel.Email && d.Status == DeliveryStatus.Delivered) == 4, "the withdrawal is emailed");
        await SendQueueDrainedAsync();
        Assert.Equal(2, MessagesTo(everything).Count);
        Assert.Single(MessagesTo(received));
        Assert.Single(MessagesTo(withdrawn));
        Assert.DoesNotContain(after, d => d.Destination == toReceived.Name && d.Notice == "challenge-withdrawn");
    }

    [Fact]
    public async Task A_deleted_subscription_is_emailed_nothing_more()
    {
        await using var host = await StartAsync();
        var address = NewAddress("police");
        var subscription = await SubscribeAsync(host, "police", address);
        var first = NewId();
        await host.PublishAsync(NotificationDeliveryTests.Raise(first));
        await DeliveriesAsync(host, first, ds => ds.Any(d => d.Channel == Channel.Email && d.Status == DeliveryStatus.Delivered), "the first email is delivered");

        await host.Client.DeleteEmailSubscriptionAsync(new DeleteEmailSubscriptionRequest { Name = subscription.Name, Etag = subscription.Etag },
            host.Bearer("sgt-5", "police", DisputeRoles.LineManager));
        var second = NewId();
        await host.PublishAsync(NotificationDeliveryTests.Raise(second));

        var deliveries = await DeliveriesAsync(host, second, ds => ds.Count >= 2, "the second raise is handled");
        await SendQueueDrainedAsync();
        Assert.DoesNotContain(deliveries, d => d.Channel == Channel.Email);
        Assert.Single(MessagesTo(address));
    }

    [Fact]
    public async Task A_delivery_whose_subscription_is_deleted_before_it_is_sent_is_given_up_unsent()
    {
        // A replica whose sender has stopped: the job waits in the queue until the subscription is gone.
        var idle = await StartAsync();
        await Eventually.HoldsAsync(async () => await SenderGroupsMadeAsync(), "the sender has looked at its queues");
        await idle.Services.GetServices<IHostedService>().OfType<DeliverySender>().Single().StopAsync(CancellationToken.None);
        var address = NewAddress("police");
        var subscription = await SubscribeAsync(idle, "police", address);
        var id = NewId();
        await idle.PublishAsync(NotificationDeliveryTests.Raise(id));
        await DeliveriesAsync(idle, id, ds => ds.Any(d => d.Channel == Channel.Email), "the email delivery is written");
        await idle.Client.DeleteEmailSubscriptionAsync(new DeleteEmailSubscriptionRequest { Name = subscription.Name }, idle.Bearer("sgt-5", "police", DisputeRoles.LineManager));
        await idle.DisposeAsync();

        await using var host = await StartAsync();
        var email = (await DeliveriesAsync(host, id, ds => ds.Any(d => d.Channel == Channel.Email && d.Status != DeliveryStatus.Pending), "the email is settled"))
            .Single(d => d.Channel == Channel.Email);
        Assert.Equal(DeliveryStatus.Failed, email.Status);
        Assert.Empty(MessagesTo(address));
    }

    [Fact]
    public async Task A_redelivered_event_emails_once()
    {
        await using var host = await StartAsync();
        var address = NewAddress("police");
        await SubscribeAsync(host, "police", address);
        var id = NewId();
        var envelope = await host.PublishAsync(NotificationDeliveryTests.Raise(id));
        var first = await DeliveriesAsync(host, id, ds => ds.Any(d => d.Channel == Channel.Email && d.Status == DeliveryStatus.Delivered), "the email is delivered");

        // A crash after the deliveries were written but before the event was marked handled: the bus delivers it again.
        await Db.KeyDeleteAsync(RedisProcessedEvents.KeyOf("notification", envelope.Id, envelope.DisputeId));
        await host.PublishAsync(envelope);
        await Eventually.HoldsAsync(async () => await Db.KeyExistsAsync(RedisProcessedEvents.KeyOf("notification", envelope.Id, envelope.DisputeId)), "the redelivery is handled");
        await SendQueueDrainedAsync();

        var again = await DeliveriesAsync(host, id, _ => true, "the log is read");
        Assert.Single(again, d => d.Channel == Channel.Email);
        Assert.Equal(first.Single(d => d.Channel == Channel.Email).Name, again.Single(d => d.Channel == Channel.Email).Name);
        Assert.Single(MessagesTo(address));
    }

    [Fact]
    public async Task Subscriptions_are_created_idempotently_listed_in_pages_and_deleted_by_their_managers()
    {
        await using var host = await StartAsync(new Dictionary<string, string?> { ["Notification:Email:MaxSubscriptionsPerAgency"] = "3" });
        var manager = host.Bearer("sgt-5", "police", DisputeRoles.LineManager);
        var request = new CreateEmailSubscriptionRequest
        {
            Parent = "agencies/police",
            RequestId = "create-1",
            Subscription = new EmailSubscription
            {
                Address = "hub@police.example.org",
                DisplayName = "Hub",
                Notices = { "challenge-received" },
                // Output-only fields a caller sets are not stored.
                Name = "agencies/health/emailSubscriptions/chosen",
                Agency = "health",
                Creator = "someone-else",
                Etag = "\"chosen\"",
            },
        };

        var created = await host.Client.CreateEmailSubscriptionAsync(request, manager);
        Assert.StartsWith("agencies/police/emailSubscriptions/", created.Name);
        Assert.Equal("police", created.Agency);
        Assert.Equal("sgt-5", created.Creator);
        Assert.Equal(["challenge-received"], created.Notices);
        Assert.NotEqual("\"chosen\"", created.Etag);
        Assert.NotNull(created.CreateTime);

        // A retry returns what the first call created; the same id for another request is a client bug.
        Assert.Equal(created, await host.Client.CreateEmailSubscriptionAsync(request, manager));
        var reused = request.Clone();
        reused.Subscription.Address = "other@police.example.org";
        var reuse = await Assert.ThrowsAsync<RpcException>(() => host.Client.CreateEmailSubscriptionAsync(reused, manager).ResponseAsync);
        Assert.Equal(StatusCode.AlreadyExists, reuse.StatusCode);
        Assert.Equal(EmailSubscriptionsApi.RequestIdReused, reuse.GetRpcStatus()!.GetDetail<ErrorInfo>().Reason);

        // The same address (in any case) once per agency; another agency may have it too.
        var duplicate = await Assert.ThrowsAsync<RpcException>(() => host.Client.CreateEmailSubscriptionAsync(new CreateEmailSubscriptionRequest
            { Parent = "agencies/police", Subscription = new EmailSubscription { Address = "HUB@Police.Example.org" } }, manager).ResponseAsync);
        Assert.Equal(StatusCode.AlreadyExists, duplicate.StatusCode);
        Assert.Equal(created.Name, duplicate.GetRpcStatus()!.GetDetail<ResourceInfo>().ResourceName);
        await host.Client.CreateEmailSubscriptionAsync(new CreateEmailSubscriptionRequest
            { Parent = "agencies/health", Subscription = new EmailSubscription { Address = "hub@police.example.org" } }, host.Bearer("sn-1", "health", DisputeRoles.SafeguardingLead));

        var second = await host.Client.CreateEmailSubscriptionAsync(new CreateEmailSubscriptionRequest
            { Parent = "agencies/police", Subscription = new EmailSubscription { Address = "duty@police.example.org" } }, host.Bearer("scp-1", "police", DisputeRoles.Partnership));
        var third = await host.Client.CreateEmailSubscriptionAsync(new CreateEmailSubscriptionRequest
            { Parent = "agencies/police", Subscription = new EmailSubscription { Address = "night@police.example.org" } }, manager);
        var limit = await Assert.ThrowsAsync<RpcException>(() => host.Client.CreateEmailSubscriptionAsync(new CreateEmailSubscriptionRequest
            { Parent = "agencies/police", Subscription = new EmailSubscription { Address = "fourth@police.example.org" } }, manager).ResponseAsync);
        Assert.Equal(StatusCode.FailedPrecondition, limit.StatusCode);

        var page1 = await host.Client.ListEmailSubscriptionsAsync(new ListEmailSubscriptionsRequest { Parent = "agencies/police", PageSize = 2 }, manager);
        var page2 = await host.Client.ListEmailSubscriptionsAsync(new ListEmailSubscriptionsRequest { Parent = "agencies/police", PageSize = 2, PageToken = page1.NextPageToken }, manager);
        Assert.Equal([created, second, third], page1.Subscriptions.Concat(page2.Subscriptions));
        Assert.Equal("", page2.NextPageToken);

        var stale = await Assert.ThrowsAsync<RpcException>(() => host.Client.DeleteEmailSubscriptionAsync(new DeleteEmailSubscriptionRequest { Name = created.Name, Etag = second.Etag }, manager).ResponseAsync);
        Assert.Equal(StatusCode.Aborted, stale.StatusCode);
        await host.Client.DeleteEmailSubscriptionAsync(new DeleteEmailSubscriptionRequest { Name = created.Name, Etag = created.Etag }, manager);
        var gone = await Assert.ThrowsAsync<RpcException>(() => host.Client.DeleteEmailSubscriptionAsync(new DeleteEmailSubscriptionRequest { Name = created.Name }, manager).ResponseAsync);
        Assert.Equal(StatusCode.NotFound, gone.StatusCode);
        Assert.Equal([second, third], (await host.Client.ListEmailSubscriptionsAsync(new ListEmailSubscriptionsRequest { Parent = "agencies/police" }, manager)).Subscriptions);

        // Its address is free again.
        var again = await host.Client.CreateEmailSubscriptionAsync(new CreateEmailSubscriptionRequest
            { Parent = "agencies/police", Subscription = new EmailSubscription { Address = "hub@police.example.org" } }, manager);
        Assert.NotEqual(created.Name, again.Name);
    }

    [Fact]
    public async Task Concurrent_creates_of_one_address_make_one_subscription_and_retries_of_one_request_return_it()
    {
        await using var host = await StartAsync();
        var manager = host.Bearer("sgt-5", "police", DisputeRoles.LineManager);
        CreateEmailSubscriptionRequest Create(string address, string requestId = "") => new()
            { Parent = "agencies/police", RequestId = requestId, Subscription = new EmailSubscription { Address = address } };

        var racing = await Task.WhenAll(Enumerable.Range(0, 12).Select(async _ =>
        {
            try
            {
                return (await host.Client.CreateEmailSubscriptionAsync(Create("hub@police.example.org"), manager)).Name;
            }
            catch (RpcException ex) when (ex.StatusCode == StatusCode.AlreadyExists)
            {
                return "";
            }
        }));
        Assert.Single(racing, name => name.Length > 0);

        var retried = await Task.WhenAll(Enumerable.Range(0, 12).Select(async _ =>
            (await host.Client.CreateEmailSubscriptionAsync(Create("duty@police.example.org", "create-duty"), manager)).Name));
        Assert.Single(retried.Distinct());
        Assert.Equal(2, (await host.Client.ListEmailSubscriptionsAsync(new ListEmailSubscriptionsRequest { Parent = "agencies/police" }, manager)).Subscriptions.Count);
    }

    [Fact]
    public async Task Only_the_agency_managers_may_manage_its_subscriptions_and_bad_requests_get_field_violations()
    {
        await using var host = await StartAsync();
        var manager = host.Bearer("sgt-5", "police", DisputeRoles.LineManager);
        var valid = new CreateEmailSubscriptionRequest { Parent = "agencies/police", Subscription = new EmailSubscription { Address = "hub@police.example.org" } };
        var created = await host.Client.CreateEmailSubscriptionAsync(valid.Clone(), host.Bearer("dsl-8", "police", DisputeRoles.SafeguardingLead));

        foreach (var caller in new[]
        {
            host.Bearer("pc-101", "police"),
            host.Bearer("supt-3", "police", DisputeRoles.SeniorManager),
            host.Bearer("eng-1", "police", DisputeRoles.Support),
            host.Bearer("sn-1", "health", DisputeRoles.LineManager),
            host.Bearer("scp-1", "safeguarding-partnership", DisputeRoles.Partnership),
        })
        {
            var other = valid.Clone();
            other.Subscription.Address = "practitioner@police.example.org";
            Assert.Equal(StatusCode.PermissionDenied, (await Assert.ThrowsAsync<RpcException>(() => host.Client.CreateEmailSubscriptionAsync(other, caller).ResponseAsync)).StatusCode);
            Assert.Equal(StatusCode.PermissionDenied, (await Assert.ThrowsAsync<RpcException>(() => host.Client.ListEmailSubscriptionsAsync(
                new ListEmailSubscriptionsRequest { Parent = "agencies/police" }, caller).ResponseAsync)).StatusCode);
            Assert.Equal(StatusCode.PermissionDenied, (await Assert.ThrowsAsync<RpcException>(() => host.Client.DeleteEmailSubscriptionAsync(
                new DeleteEmailSubscriptionRequest { Name = created.Name }, caller).ResponseAsync)).StatusCode);
        }
        Assert.Single((await host.Client.ListEmailSubscriptionsAsync(new ListEmailSubscriptionsRequest { Parent = "agencies/police" }, manager)).Subscriptions);

        var invalid = await Assert.ThrowsAsync<RpcException>(() => host.Client.CreateEmailSubscriptionAsync(new CreateEmailSubscriptionRequest
        {
            Parent = "agencies/police",
            Subscription = new EmailSubscription { Address = "Hub <hub@police.example.org>, x@evil.example.org", DisplayName = "admin@police.example.org", Notices = { "narrative" } },
        }, manager).ResponseAsync);
        Assert.Equal(StatusCode.InvalidArgument, invalid.StatusCode);
        Assert.Equal(["subscription.address", "subscription.display_name", "subscription.notices[0]"],
            invalid.GetRpcStatus()!.GetDetail<BadRequest>().FieldViolations.Select(v => v.Field));
        Assert.Equal(StatusCode.InvalidArgument, (await Assert.ThrowsAsync<RpcException>(() => host.Client.CreateEmailSubscriptionAsync(
            new CreateEmailSubscriptionRequest { Parent = "challenges/x", Subscription = valid.Subscription }, manager).ResponseAsync)).StatusCode);
        Assert.Equal(StatusCode.InvalidArgument, (await Assert.ThrowsAsync<RpcException>(() => host.Client.DeleteEmailSubscriptionAsync(
            new DeleteEmailSubscriptionRequest { Name = "agencies/police/webhookSubscriptions/" + NewId() }, manager).ResponseAsync)).StatusCode);
        Assert.Equal(StatusCode.NotFound, (await Assert.ThrowsAsync<RpcException>(() => host.Client.DeleteEmailSubscriptionAsync(
            new DeleteEmailSubscriptionRequest { Name = "agencies/police/emailSubscriptions/" + NewId() }, manager).ResponseAsync)).StatusCode);
        Assert.Equal(StatusCode.InvalidArgument, (await Assert.ThrowsAsync<RpcException>(() => host.Client.ListEmailSubscriptionsAsync(
            new ListEmailSubscriptionsRequest { Parent = "agencies/police", PageSize = -1 }, manager).ResponseAsync)).StatusCode);
    }

    /// <summary>The sender has made its group on every partition's send queue.</summary>
    private async Task<bool> SenderGroupsMadeAsync()
    {
        foreach (var partition in RedisPartitions.All)
        {
            if (!await Db.KeyExistsAsync(DeliveryStore.SendQueue(partition)) || (await Db.StreamGroupInfoAsync(DeliveryStore.SendQueue(partition))).Length != 1)
                return false;
        }
        return true;
    }
}
