using Disputes.Escalation.Events;
using Disputes.Escalation.Timers;
using Disputes.EventBus;
using Disputes.Notification.Sending;
using Disputes.Procedure;
using Disputes.ServiceDefaults.Grpc;
using Disputes.V1;
using Disputes.V1.Events;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace Disputes.IntegrationTests;

/// <summary>The services' own metrics against a real redis-server: escalation timers pending and fire lateness; deliveries by channel and status.</summary>
[Collection(RedisCollection.Name)]
public sealed class ServiceMetricsTests(RedisServerFixture redis) : IAsyncLifetime
{
    // Monday 23 November 2026, 10:00 UTC.
    private static readonly DateTimeOffset RaisedAt = new(2026, 11, 23, 10, 0, 0, TimeSpan.Zero);

    public Task InitializeAsync() => redis.FlushAsync();

    public Task DisposeAsync() => Task.CompletedTask;

    [Fact]
    public async Task The_timers_gauge_counts_the_timers_set_and_lateness_is_recorded_when_they_fire_late()
    {
        using var metrics = new MetricRecorder(EscalationMetrics.MeterName);
        var clock = new FakeTimeProvider(RaisedAt);
        var id = EscalationEvents.NewChallengeId();
        await using var host = await EscalationTestHost.StartAsync(redis, clock);
        await host.LoadDemoDirectoryAsync();
        await using (var scope = host.Services.CreateAsyncScope())
        {
            await scope.ServiceProvider.GetRequiredService<ChallengeRaisedHandler>().HandleAsync(EscalationEvents.Raised(id, RaisedAt, lookedAfter: false),
                new EventContext(Guid.NewGuid().ToString("N"), "challenge", DateTimeOffset.UtcNow, null, id), CancellationToken.None);
        }

        // The poller counts at each round; a round comes at the latest after the poll interval.
        await Eventually.HoldsAsync(() =>
        {
            clock.Advance(TimeSpan.FromSeconds(6));
            metrics.Observe();
            return metrics.Last("disputes.escalation.timers.pending") == 4;
        }, "the gauge counts the four timers of the raise");
        Assert.DoesNotContain(metrics.Measurements, m => m.Name == "disputes.escalation.timer.lateness");

        // Ten days on, the stage 1 timers are days overdue when they fire.
        clock.Advance(TimeSpan.FromDays(10));
        await Eventually.HoldsAsync(() =>
        {
            clock.Advance(TimeSpan.FromSeconds(6));
            metrics.Observe();
            return metrics.Last("disputes.escalation.timers.pending") == 0;
        }, "every timer has fired and the gauge says so");
        var lateness = metrics.Measurements.Where(m => m.Name == "disputes.escalation.timer.lateness").ToArray();
        Assert.Equal(4, lateness.Length);
        Assert.All(lateness, l => Assert.True(l.Value > TimeSpan.FromDays(1).TotalSeconds, $"{l.Value} s late"));
        Assert.All(lateness, l => Assert.False(string.IsNullOrEmpty(l.Tags.GetValueOrDefault("disputes.timer.kind"))));
    }

    [Fact]
    public async Task Deliveries_are_counted_by_channel_and_status()
    {
        using var metrics = new MetricRecorder(NotificationMetrics.MeterName);
        await using var receiver = await WebhookReceiver.StartAsync();
        await using var host = await NotificationHost.StartAsync(redis);
        var manager = host.Bearer("sgt-5", "police", DisputeRoles.LineManager);
        var created = await host.Client.CreateWebhookSubscriptionAsync(new CreateWebhookSubscriptionRequest
            { Parent = "agencies/police", Subscription = new WebhookSubscription { Url = receiver.Url } }, manager);
        receiver.Secret = created.SigningSecret;

        await host.PublishAsync(NotificationDeliveryTests.Raise(SortableId.New(TimeProvider.System)));

        await Eventually.HoldsAsync(() => Count("webhook", "delivered") == 1, "the webhook delivery is counted");
        // The raise notifies both professionals on their agencies' streams.
        Assert.Equal(2, Count("stream", "delivered"));
        Assert.Equal(0, Count("webhook", "failed"));

        receiver.Respond = _ => System.Net.HttpStatusCode.Gone;
        await host.PublishAsync(NotificationDeliveryTests.Raise(SortableId.New(TimeProvider.System)));
        await Eventually.HoldsAsync(() => Count("webhook", "failed") == 1, "the refused webhook delivery is counted as failed");
        Assert.Equal(1, Count("webhook", "delivered"));
        Assert.Equal(4, Count("stream", "delivered"));

        double Count(string channel, string status) => metrics.Measurements
            .Where(m => m.Name == "disputes.notification.deliveries" && m.Tags.GetValueOrDefault("disputes.delivery.channel") == channel
                && m.Tags.GetValueOrDefault("disputes.delivery.status") == status)
            .Sum(m => m.Value);
    }
}
