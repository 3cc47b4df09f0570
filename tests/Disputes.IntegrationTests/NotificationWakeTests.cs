using System.Net;
using Disputes.EventBus.Redis;
using Disputes.Notification.Grpc;
using Disputes.Notification.Sending;
using Disputes.Notification.Storage;
using Disputes.Redis;
using Disputes.ServiceDefaults.Grpc;
using Disputes.V1;
using Grpc.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using StackExchange.Redis;

namespace Disputes.IntegrationTests;

/// <summary>
/// The sender and the watch streams are woken by the write that gives them work, not by a poll.
/// The clocks here are fake and advanced only where a test says so, so no sweep or poll interval
/// can be what sends or streams a delivery.
/// </summary>
[Collection(RedisCollection.Name)]
public sealed class NotificationWakeTests(RedisServerFixture redis) : IAsyncLifetime
{
    public Task InitializeAsync() => redis.FlushAsync();

    public Task DisposeAsync() => Task.CompletedTask;

    private IDatabase Db => redis.Redis.GetDatabase();

    private static string NewId() => SortableId.New(TimeProvider.System);

    private static Dictionary<string, string?> Settings(string reclaimAfter = "00:05:00") => new()
    {
        ["Notification:Sending:SweepInterval"] = "01:00:00",
        ["Notification:Sending:ReclaimAfter"] = reclaimAfter,
        ["Notification:Sending:AttemptTimeout"] = "01:00:00",
        ["EventBus:BlockTime"] = "00:00:30",
        ["EventBus:OutboxSweepInterval"] = "00:10:00",
    };

    private static Task<NotificationHost> StartAsync(RedisServerFixture redis, FakeTimeProvider time, string reclaimAfter = "00:05:00") =>
        NotificationHost.StartAsync(redis, Settings(reclaimAfter), services => services.AddSingleton<TimeProvider>(time));

    [Fact]
    public async Task A_queued_delivery_wakes_the_sender_with_time_standing_still()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var receiver = await WebhookReceiver.StartAsync();
        await using var host = await StartAsync(redis, time);
        await RegisterAsync(host, receiver, "police");
        await SenderWaitsAsync();

        var id = NewId();
        await host.PublishAsync(NotificationDeliveryTests.Raise(id));

        var webhook = await WebhookDeliveryAsync(host, id, DeliveryStatus.Delivered);
        Assert.Equal(1, webhook.Attempts);
        Assert.Single(receiver.Requests);
    }

    [Fact]
    public async Task A_retry_still_waits_for_its_backoff()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var receiver = await WebhookReceiver.StartAsync();
        receiver.Respond = n => n == 1 ? HttpStatusCode.InternalServerError : HttpStatusCode.NoContent;
        await using var host = await StartAsync(redis, time);
        await RegisterAsync(host, receiver, "police");
        await SenderWaitsAsync();
        var id = NewId();
        await host.PublishAsync(NotificationDeliveryTests.Raise(id));
        await Eventually.HoldsAsync(() => !receiver.Requests.IsEmpty, "the first attempt is made");

        // With the clock still, the backoff never ends: nothing wakes the retry early.
        await Task.Delay(500);
        Assert.Single(receiver.Requests);
        Assert.Equal(DeliveryStatus.Pending, (await WebhookAsync(host, id))!.Status);

        await Eventually.HoldsAsync(() =>
        {
            time.Advance(TimeSpan.FromMilliseconds(10));
            return receiver.Requests.Count >= 2;
        }, "the retry is made once its backoff has passed");
        var webhook = await WebhookDeliveryAsync(host, id, DeliveryStatus.Delivered);
        Assert.Equal(2, webhook.Attempts);
        Assert.True(webhook.AttemptsLog[1].Time.ToDateTimeOffset() > webhook.AttemptsLog[0].Time.ToDateTimeOffset());
    }

    [Fact]
    public async Task A_job_left_by_a_dead_sender_is_reclaimed_when_due_not_at_the_next_sweep()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        receiver.Delay = TimeSpan.FromSeconds(30);
        var first = await NotificationHost.StartAsync(redis, new Dictionary<string, string?> { ["Notification:Sending:ReclaimAfter"] = "00:00:03" });
        await RegisterAsync(first, receiver, "police");
        var id = NewId();
        await first.PublishAsync(NotificationDeliveryTests.Raise(id));
        await Eventually.HoldsAsync(() => !receiver.Requests.IsEmpty, "the first sender is mid-delivery");
        await first.DisposeAsync();
        receiver.Delay = TimeSpan.Zero;

        // The sweep is an hour away; the reclaim is due every quarter of ReclaimAfter.
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var second = await StartAsync(redis, time, reclaimAfter: "00:00:03");
        await Eventually.HoldsAsync(async () =>
        {
            time.Advance(TimeSpan.FromMilliseconds(100));
            return (await WebhookAsync(second, id))?.Status == DeliveryStatus.Delivered;
        }, "the abandoned job is reclaimed and sent", TimeSpan.FromSeconds(30));
        Assert.Single(receiver.UniqueIds);
    }

    [Fact]
    public async Task A_delivery_written_wakes_its_agency_watch_with_time_standing_still()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var host = await StartAsync(redis, time);
        var watchers = host.Services.GetRequiredService<DeliveryStore>().Watchers;
        using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        using var other = host.Client.WatchNotifications(new WatchNotificationsRequest { Parent = "agencies/health" },
            host.Bearer("sys-2", "health"), cancellationToken: cancel.Token);
        using var watch = host.Client.WatchNotifications(new WatchNotificationsRequest { Parent = "agencies/police" },
            host.Bearer("sys-1", "police"), cancellationToken: cancel.Token);
        await Eventually.HoldsAsync(() => watchers.Count == 2, "both watches are open");
        // Let both make their first read and wait.
        await Task.Delay(300);

        var id = NewId();
        await host.PublishAsync(NotificationDeliveryTests.Raise(id));

        Assert.True(await watch.ResponseStream.MoveNext(cancel.Token));
        Assert.StartsWith($"challenges/{id}/", watch.ResponseStream.Current.Name);
        Assert.Equal("police", watch.ResponseStream.Current.Recipient.AgencyId);
    }

    /// <summary>The sender has made its group, then its first (empty) read, and now waits.</summary>
    private async Task SenderWaitsAsync()
    {
        await Eventually.HoldsAsync(async () => await SenderGroupsMadeAsync(), "the sender has made its groups");
        await Task.Delay(300);
    }

    private static async Task RegisterAsync(NotificationHost host, WebhookReceiver receiver, string agency)
    {
        var created = await host.Client.CreateWebhookSubscriptionAsync(new CreateWebhookSubscriptionRequest
            { Parent = $"agencies/{agency}", Subscription = new WebhookSubscription { Url = receiver.Url } }, host.Bearer("lead-1", agency, NotificationGrpcService.SafeguardingLeadRole));
        receiver.Secret = created.SigningSecret;
    }

    private static async Task<Delivery?> WebhookAsync(NotificationHost host, string challengeId)
    {
        try
        {
            var list = await host.Client.ListDeliveriesAsync(new ListDeliveriesRequest { Parent = $"challenges/{challengeId}" }, host.Bearer("pc-101", "police"));
            return list.Deliveries.FirstOrDefault(d => d.Channel == Channel.Webhook);
        }
        catch (RpcException ex) when (ex.StatusCode == StatusCode.NotFound)
        {
            return null;
        }
    }

    private static async Task<Delivery> WebhookDeliveryAsync(NotificationHost host, string challengeId, DeliveryStatus status)
    {
        Delivery? found = null;
        await Eventually.HoldsAsync(async () => (found = await WebhookAsync(host, challengeId))?.Status == status,
            $"the webhook delivery of {challengeId} is {status}", TimeSpan.FromSeconds(30));
        return found!;
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
