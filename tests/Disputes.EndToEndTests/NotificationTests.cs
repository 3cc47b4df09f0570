using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Disputes.Procedure;
using Disputes.V1;
using Grpc.Core;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using MimeKit;

namespace Disputes.EndToEndTests;

/// <summary>
/// Notification through the gateway, with the real processes: an agency system's signed
/// webhook, email to a real SMTP server, and a watch resumed from its cursor.
/// </summary>
[Collection(SuiteCollection.Name)]
public sealed class NotificationTests(SuiteFixture suite)
{
    private readonly ChallengeService.ChallengeServiceClient _challenges = new(suite.Gateway);
    private readonly NotificationService.NotificationServiceClient _notifications = new(suite.Gateway);

    private async Task<Disputes.V1.Challenge> RaiseAsync(string agency)
    {
        var request = DisputeLifecycleTests.NewRaise();
        return await _challenges.RaiseChallengeAsync(request, suite.Bearer("pc-1", agency));
    }

    private async Task<Delivery> DeliveryAsync(string challenge, string agency, Func<Delivery, bool> match)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            try
            {
                var list = await _notifications.ListDeliveriesAsync(new ListDeliveriesRequest { Parent = challenge, PageSize = 100 }, suite.Bearer("pc-1", agency));
                if (list.Deliveries.FirstOrDefault(match) is { } found)
                    return found;
            }
            catch (RpcException e) when (e.StatusCode == StatusCode.NotFound)
            {
            }
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"No matching delivery of {challenge}:\n{suite.OutputOf("notification")}");
            await Task.Delay(200);
        }
    }

    [Fact]
    public async Task A_registered_webhook_receives_signed_notices_an_agency_system_can_verify()
    {
        const string agency = "police-webhooks";
        await using var receiver = await Receiver.StartAsync();
        var created = await _notifications.CreateWebhookSubscriptionAsync(new CreateWebhookSubscriptionRequest
        {
            Parent = $"agencies/{agency}",
            Subscription = new WebhookSubscription { Url = receiver.Url },
        }, suite.Bearer("sgt-1", agency, DisputeRoles.LineManager));
        receiver.Secret = created.SigningSecret;

        var raised = await RaiseAsync(agency);

        var webhook = await DeliveryAsync(raised.Name, agency, d => d.Channel == Channel.Webhook && d.Status == DeliveryStatus.Delivered);
        var request = Assert.Single(receiver.Requests, r => webhook.Name.EndsWith("/" + r.Id, StringComparison.Ordinal));
        Assert.True(request.SignatureValid, "the signature verifies as the Standard Webhooks specification says");
        using var body = JsonDocument.Parse(request.Body);
        Assert.Equal("disputes.notification.challenge-received", body.RootElement.GetProperty("type").GetString());
        Assert.Equal(webhook.Name, body.RootElement.GetProperty("data").GetProperty("name").GetString());
        Assert.Equal(raised.TraceId, body.RootElement.GetProperty("data").GetProperty("traceId").GetString());
        Assert.DoesNotContain(raised.Child.Reference, request.Body);
        Assert.DoesNotContain(raised.Subject, request.Body);
    }

    [Fact]
    public async Task An_email_subscription_created_over_rest_is_emailed_through_a_real_smtp_server_with_a_link_to_the_challenge()
    {
        const string agency = "police-emailed";
        const string address = "safeguarding@police-emailed.example.org";
        var denied = await Assert.ThrowsAsync<RpcException>(() => _notifications.CreateEmailSubscriptionAsync(new CreateEmailSubscriptionRequest
            { Parent = $"agencies/{agency}", Subscription = new EmailSubscription { Address = address } }, suite.Bearer("pc-1", agency)).ResponseAsync);
        Assert.Equal(StatusCode.PermissionDenied, denied.StatusCode);

        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{suite.GatewayHttpPort}") };
        http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", suite.Token("sgt-1", agency, DisputeRoles.LineManager));
        using var response = await http.PostAsync($"/v1/agencies/{agency}/emailSubscriptions",
            new StringContent("{\"address\": \"" + address + "\", \"displayName\": \"Safeguarding Hub\"}", Encoding.UTF8, "application/json"));
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, body);
        var subscription = JsonDocument.Parse(body).RootElement.GetProperty("name").GetString()!;
        Assert.StartsWith($"agencies/{agency}/emailSubscriptions/", subscription);

        var raised = await RaiseAsync(agency);
        var id = raised.Name["challenges/".Length..];

        var email = await DeliveryAsync(raised.Name, agency, d => d.Channel == Channel.Email && d.Status == DeliveryStatus.Delivered);
        Assert.Equal(subscription, email.Destination);

        var folder = Path.Combine(suite.SmtpMaildir, "new");
        var message = Directory.GetFiles(folder).Select(f => MimeMessage.Load(f))
            .Single(m => m.MessageId == $"{email.Name.Split('/')[3]}@disputes.notification");
        Assert.Equal(address, message.To.Mailboxes.Single().Address);
        Assert.Equal("Safeguarding Hub", message.To.Mailboxes.Single().Name);
        Assert.Contains(id, message.TextBody);
        Assert.Contains(id, message.HtmlBody);
        Assert.DoesNotContain(raised.Child.Reference, message.ToString());
    }

    [Fact]
    public async Task A_watch_resumed_from_its_cursor_through_the_gateway_misses_nothing_and_repeats_nothing()
    {
        const string agency = "police-watching";
        var system = suite.Bearer("lob-system", agency);
        using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(60));

        var watch = _notifications.WatchNotifications(new WatchNotificationsRequest { Parent = $"agencies/{agency}" }, system, cancellationToken: cancel.Token);
        await Task.Delay(500);
        var first = await RaiseAsync(agency);
        Assert.True(await watch.ResponseStream.MoveNext(cancel.Token));
        var seen = watch.ResponseStream.Current;
        watch.Dispose();
        Assert.StartsWith(first.Name + "/deliveries/", seen.Name);
        Assert.Equal(RecipientRole.Referrer, seen.RecipientRole);

        // Disconnected while two more challenges are raised.
        var missed = new[] { await RaiseAsync(agency), await RaiseAsync(agency) };
        foreach (var challenge in missed)
            await DeliveryAsync(challenge.Name, agency, d => d.Channel == Channel.Stream);

        var resumed = _notifications.WatchNotifications(new WatchNotificationsRequest { Parent = $"agencies/{agency}", ResumeCursor = seen.Cursor }, system, cancellationToken: cancel.Token);
        var rest = new List<Delivery>();
        while (rest.Count < 2 && await resumed.ResponseStream.MoveNext(cancel.Token))
            rest.Add(resumed.ResponseStream.Current);
        resumed.Dispose();

        Assert.Equal(missed.Select(c => c.Name).Order(), rest.Select(d => d.Name[..d.Name.IndexOf("/deliveries/", StringComparison.Ordinal)]).Order());
        Assert.DoesNotContain(seen.Name, rest.Select(d => d.Name));
    }

    [Fact]
    public async Task Support_reads_the_deliveries_of_a_challenge_as_an_allowlist()
    {
        var raised = await RaiseAsync("police-supported");
        await DeliveryAsync(raised.Name, "police-supported", d => d.RecipientRole == RecipientRole.ReceivingProfessional);

        var support = await _notifications.ListDeliveriesAsync(new ListDeliveriesRequest { Parent = raised.Name }, suite.Bearer("eng-1", "suite-support", DisputeRoles.Support));

        Assert.Equal(2, support.Deliveries.Count);
        Assert.All(support.Deliveries, d =>
        {
            Assert.Equal("", d.Message);
            Assert.Equal("", d.Destination);
            Assert.Equal(raised.TraceId, d.TraceId);
        });
    }

    /// <summary>An agency's endpoint on loopback (Kestrel) that verifies each request as the Standard Webhooks specification says.</summary>
    private sealed class Receiver : IAsyncDisposable
    {
        private readonly WebApplication _app;

        public sealed record Received(string Id, string Body, bool SignatureValid);

        public ConcurrentQueue<Received> Requests { get; } = new();

        public string Secret { get; set; } = "";

        public string Url { get; }

        private Receiver(WebApplication app, string url)
        {
            _app = app;
            Url = url;
        }

        public static async Task<Receiver> StartAsync()
        {
            using var probe = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
            probe.Start();
            var port = ((IPEndPoint)probe.LocalEndpoint).Port;
            probe.Stop();
            var builder = WebApplication.CreateSlimBuilder();
            builder.Logging.ClearProviders();
            // The test output may hold a service's appsettings.json; the receiver listens only where it is told.
            builder.Configuration.Sources.Clear();
            builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, port));
            var app = builder.Build();
            var receiver = new Receiver(app, $"http://127.0.0.1:{port}/hooks");
            app.MapPost("/hooks", receiver.HandleAsync);
            await app.StartAsync();
            return receiver;
        }

        public async ValueTask DisposeAsync()
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }

        internal async Task HandleAsync(HttpContext context)
        {
            using var reader = new StreamReader(context.Request.Body, Encoding.UTF8);
            var body = await reader.ReadToEndAsync();
            var id = context.Request.Headers["webhook-id"].ToString();
            Requests.Enqueue(new Received(id, body, Verify(Secret, id, context.Request.Headers["webhook-timestamp"].ToString(), body,
                context.Request.Headers["webhook-signature"].ToString())));
            context.Response.StatusCode = StatusCodes.Status204NoContent;
        }

        private static bool Verify(string secret, string id, string timestamp, string body, string signatures)
        {
            if (!long.TryParse(timestamp, out var seconds) || Math.Abs(DateTimeOffset.UtcNow.ToUnixTimeSeconds() - seconds) > 300 || !secret.StartsWith("whsec_"))
                return false;
            var expected = HMACSHA256.HashData(Convert.FromBase64String(secret["whsec_".Length..]), Encoding.UTF8.GetBytes($"{id}.{timestamp}.{body}"));
            return signatures.Split(' ', StringSplitOptions.RemoveEmptyEntries)
                .Select(s => s.Split(',', 2))
                .Any(p => p is ["v1", var value] && CryptographicOperations.FixedTimeEquals(expected, Convert.FromBase64String(value)));
        }
    }
}
