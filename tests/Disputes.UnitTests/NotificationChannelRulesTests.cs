using System.Net;
using System.Text;
using Disputes.Notification.Channels;
using Disputes.Notification.Domain;
using Disputes.V1;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;

namespace Disputes.UnitTests;

public class NotificationChannelRulesTests
{
    [Fact]
    public void Signatures_match_the_standard_webhooks_test_vector()
    {
        // The example in the Standard Webhooks specification's reference implementations.
        var signature = StandardWebhooks.Sign("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330,
            Encoding.UTF8.GetBytes("{\"test\": 2432232314}"));

        Assert.Equal("v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=", signature);
    }

    [Fact]
    public void A_secret_is_whsec_and_32_random_bytes_and_its_id_does_not_reveal_it()
    {
        var secret = StandardWebhooks.NewSecret();
        Assert.StartsWith("whsec_", secret);
        Assert.Equal(32, StandardWebhooks.KeyOf(secret).Length);
        Assert.NotEqual(secret, StandardWebhooks.NewSecret());
        Assert.DoesNotContain(secret["whsec_".Length..], StandardWebhooks.IdOf(secret));
    }

    [Theory]
    [InlineData("203.0.113.7", false)]
    [InlineData("8.8.8.8", true)]
    [InlineData("2606:4700:4700::1111", true)]
    [InlineData("127.0.0.1", false)]
    [InlineData("::1", false)]
    [InlineData("10.1.2.3", false)]
    [InlineData("172.20.0.1", false)]
    [InlineData("192.168.1.1", false)]
    [InlineData("169.254.169.254", false)]
    [InlineData("100.64.0.1", false)]
    [InlineData("0.0.0.0", false)]
    [InlineData("::ffff:10.0.0.1", false)]
    [InlineData("::ffff:127.0.0.1", false)]
    [InlineData("fd00::1", false)]
    [InlineData("fe80::1", false)]
    [InlineData("224.0.0.1", false)]
    public void Webhooks_reach_public_addresses_only(string address, bool allowed) =>
        Assert.Equal(allowed, WebhookAddressPolicy.IsAllowed(IPAddress.Parse(address), allowLoopback: false));

    [Fact]
    public void Loopback_is_reached_only_when_allowed_and_private_ranges_never() => Assert.Multiple(
        () => Assert.True(WebhookAddressPolicy.IsAllowed(IPAddress.Loopback, allowLoopback: true)),
        () => Assert.True(WebhookAddressPolicy.IsAllowed(IPAddress.Parse("::ffff:127.0.0.1"), allowLoopback: true)),
        () => Assert.False(WebhookAddressPolicy.IsAllowed(IPAddress.Parse("10.0.0.1"), allowLoopback: true)));

    [Theory]
    [InlineData("https://agency.example.org/hooks", false, null)]
    [InlineData("http://agency.example.org/hooks", false, "must use https")]
    [InlineData("http://127.0.0.1:5000/hooks", false, "must use https")]
    [InlineData("https://127.0.0.1/hooks", false, "must not point at a loopback, private, link-local or reserved address")]
    [InlineData("https://localhost/hooks", false, "must not point at a loopback address")]
    [InlineData("https://10.0.0.8/hooks", true, "must not point at a loopback, private, link-local or reserved address")]
    [InlineData("http://127.0.0.1:5000/hooks", true, null)]
    [InlineData("http://localhost:5000/hooks", true, null)]
    [InlineData("http://agency.example.org/hooks", true, "must use https (http only to a loopback address)")]
    [InlineData("https://user:pass@agency.example.org/", false, "must not carry credentials")]
    [InlineData("ftp://agency.example.org/", false, "must use https")]
    [InlineData("/relative", false, "must be an absolute URL")]
    [InlineData("", false, "is required")]
    public void Subscription_urls_are_checked_before_they_are_stored(string url, bool allowLoopback, string? problem) =>
        Assert.Equal(problem, WebhookAddressPolicy.ProblemWith(url, allowLoopback));

    [Fact]
    public async Task A_name_resolving_to_an_inner_address_is_refused_at_connect_time()
    {
        var refused = await Assert.ThrowsAsync<PermanentDeliveryException>(() =>
            WebhookConnections.ConnectAsync(new DnsEndPoint("localhost", 9), allowLoopback: false, CancellationToken.None).AsTask());
        Assert.Contains("localhost", refused.Message);
    }

    [Fact]
    public void Delivery_ids_are_the_same_for_the_same_event_recipient_and_channel_and_differ_otherwise()
    {
        var notice = new Notice(RecipientRole.Referrer, new Party { AgencyId = "police", ProfessionalId = "pc-101" }, "challenge-received", Stage.ProfessionalDiscussion, "m");
        var id = DeliveryIds.For("event-1", notice, Channel.Stream, "agencies/police");

        Assert.Equal(id, DeliveryIds.For("event-1", notice with { Message = "another text" }, Channel.Stream, "agencies/police"));
        Assert.NotEqual(id, DeliveryIds.For("event-2", notice, Channel.Stream, "agencies/police"));
        Assert.NotEqual(id, DeliveryIds.For("event-1", notice, Channel.Webhook, "agencies/police/webhookSubscriptions/1"));
        Assert.NotEqual(id, DeliveryIds.For("event-1", notice with { Recipient = new Party { AgencyId = "police", ProfessionalId = "pc-102" } }, Channel.Stream, "agencies/police"));
    }

    [Fact]
    public void Support_sees_an_allowlist_of_a_delivery_never_its_message_destination_or_unknown_fields()
    {
        var delivery = Sample();
        delivery.MergeFrom(UnknownField(99, "smuggled"));

        var support = DeliveryViews.Support(delivery);

        Assert.Equal("", support.Message);
        Assert.Equal("", support.Destination);
        Assert.Equal("", support.Recipient.Role);
        Assert.Equal(delivery.Name, support.Name);
        Assert.Equal(delivery.TraceId, support.TraceId);
        Assert.Equal(delivery.Stage, support.Stage);
        Assert.DoesNotContain("smuggled", Encoding.UTF8.GetString(support.ToByteArray()));
        Assert.DoesNotContain("smuggled", Encoding.UTF8.GetString(DeliveryViews.Full(delivery, withMessage: true).ToByteArray()));
        Assert.Equal("", DeliveryViews.Full(delivery, withMessage: false).Message);
    }

    [Fact]
    public void A_webhook_body_is_type_timestamp_and_data_without_the_destination()
    {
        var body = Encoding.UTF8.GetString(WebhookChannel.Body(Sample()));
        using var json = System.Text.Json.JsonDocument.Parse(body);

        Assert.Equal("disputes.notification.challenge-received", json.RootElement.GetProperty("type").GetString());
        Assert.Equal("2026-11-23T10:00:00.000Z", json.RootElement.GetProperty("timestamp").GetString());
        var data = json.RootElement.GetProperty("data");
        Assert.Equal("challenges/01JD0000000000000000000000/deliveries/abc", data.GetProperty("name").GetString());
        Assert.False(data.TryGetProperty("destination", out _));
    }

    [Fact]
    public void An_email_has_text_and_html_with_the_link_and_a_message_id_from_the_delivery()
    {
        var message = EmailChannel.Build(Sample(), MimeKit.MailboxAddress.Parse("safeguarding@police.example.org"),
            new Disputes.Notification.EmailOptions { ChallengeLink = "https://portal.example.org/challenges/{challenge}" });

        Assert.Equal("abc@disputes.notification", message.MessageId);
        Assert.Contains("https://portal.example.org/challenges/01JD0000000000000000000000", message.TextBody);
        Assert.Contains("href=\"https://portal.example.org/challenges/01JD0000000000000000000000\"", message.HtmlBody);
        Assert.Contains("Your challenge", message.TextBody);
        Assert.Contains("stage 1", message.Subject);
    }

    private static Delivery Sample() => new()
    {
        Name = "challenges/01JD0000000000000000000000/deliveries/abc",
        Recipient = new Party { AgencyId = "police", ProfessionalId = "pc-101", Role = "police officer" },
        RecipientRole = RecipientRole.Referrer,
        Channel = Channel.Webhook,
        Notice = "challenge-received",
        Message = "Your challenge challenges/01JD0000000000000000000000 has been received.",
        Status = DeliveryStatus.Pending,
        CreateTime = Timestamp.FromDateTimeOffset(new DateTimeOffset(2026, 11, 23, 10, 0, 0, TimeSpan.Zero)),
        EventId = "event-1",
        TraceId = "4bf92f3577b34da6a3ce929d0e0e4736",
        Stage = Stage.ProfessionalDiscussion,
        Destination = "agencies/police/webhookSubscriptions/01JD0000000000000000000001",
    };

    private static byte[] UnknownField(int number, string value)
    {
        using var stream = new MemoryStream();
        var output = new CodedOutputStream(stream);
        output.WriteTag(number, WireFormat.WireType.LengthDelimited);
        output.WriteString(value);
        output.Flush();
        return stream.ToArray();
    }
}
