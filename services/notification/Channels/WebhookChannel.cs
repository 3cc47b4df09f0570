using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Disputes.Notification.Domain;
using Disputes.Notification.Storage;
using Disputes.V1;
using Google.Protobuf;
using Microsoft.Extensions.Options;

namespace Disputes.Notification.Channels;

/// <summary>
/// Signed webhooks (Standard Webhooks): the same <c>webhook-id</c> (the delivery id) on every
/// attempt, so the receiver can drop a repeat; the timestamp and signature of each attempt.
/// </summary>
public sealed class WebhookChannel(
    IHttpClientFactory httpClients,
    WebhookSubscriptionStore subscriptions,
    IOptions<NotificationOptions> options,
    TimeProvider timeProvider) : IDeliveryChannel
{
    public const string HttpClientName = "webhooks";
    private static readonly JsonFormatter Formatter = new(JsonFormatter.Settings.Default.WithFormatDefaultValues(false));

    public Channel Channel => Channel.Webhook;

    public async Task<PreparedSend?> PrepareAsync(Delivery delivery, CancellationToken cancellationToken)
    {
        if (!TryParseName(delivery.Destination, out var agencyId, out var subscriptionId))
            return null;
        var found = await subscriptions.GetAsync(agencyId, subscriptionId);
        if (found is not { } subscription)
            return null;
        var uri = new Uri(subscription.Subscription.Url);
        var body = Body(delivery);
        var id = DeliveryStore.IdsOf(delivery.Name).DeliveryId;
        return new PreparedSend($"webhook:{uri.Scheme}://{uri.Authority}", ct => SendAsync(uri, id, body, subscription.Secret, ct));
    }

    private async ValueTask SendAsync(Uri uri, string id, byte[] body, string secret, CancellationToken cancellationToken)
    {
        if (WebhookAddressPolicy.ProblemWith(uri.OriginalString, options.Value.Webhooks.AllowLoopback) is { } problem)
            throw new PermanentDeliveryException($"The webhook URL {problem}.");
        var timestamp = timeProvider.GetUtcNow().ToUnixTimeSeconds();
        using var request = new HttpRequestMessage(HttpMethod.Post, uri) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json") { CharSet = "utf-8" };
        request.Headers.Add(StandardWebhooks.IdHeader, id);
        request.Headers.Add(StandardWebhooks.TimestampHeader, timestamp.ToString(System.Globalization.CultureInfo.InvariantCulture));
        request.Headers.Add(StandardWebhooks.SignatureHeader, StandardWebhooks.Sign(secret, id, timestamp, body));
        using var response = await httpClients.CreateClient(HttpClientName).SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        if (response.StatusCode == HttpStatusCode.Gone)
            throw new PermanentDeliveryException("The receiver answered 410 Gone: the endpoint no longer takes deliveries.");
        if (!response.IsSuccessStatusCode)
            throw new HttpRequestException($"The receiver answered {(int)response.StatusCode}.", null, response.StatusCode);
    }

    /// <summary>{type, timestamp, data}: data is the delivery as the agency's system may see it.</summary>
    public static byte[] Body(Delivery delivery)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("type", $"disputes.notification.{delivery.Notice}");
            json.WriteString("timestamp", delivery.CreateTime.ToDateTimeOffset().UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", System.Globalization.CultureInfo.InvariantCulture));
            json.WritePropertyName("data");
            var view = DeliveryViews.ForRecipientSystem(delivery);
            view.Status = DeliveryStatus.Unspecified;
            view.Attempts = 0;
            view.DeliverTime = null;
            json.WriteRawValue(Formatter.Format(view));
            json.WriteEndObject();
        }
        return buffer.ToArray();
    }

    public static bool TryParseName(string name, out string agencyId, out string subscriptionId)
    {
        var parts = name.Split('/');
        var ok = parts is ["agencies", { Length: > 0 }, "webhookSubscriptions", { Length: > 0 }];
        agencyId = ok ? parts[1] : "";
        subscriptionId = ok ? parts[3] : "";
        return ok;
    }
}
