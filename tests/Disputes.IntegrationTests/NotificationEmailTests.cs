using Disputes.V1;
using Grpc.Core;

namespace Disputes.IntegrationTests;

/// <summary>Email over SMTP (MailKit) to a real SMTP server on loopback.</summary>
[Collection(RedisCollection.Name)]
public sealed class NotificationEmailTests(RedisServerFixture redis, SmtpServerFixture smtp) : IClassFixture<SmtpServerFixture>, IAsyncLifetime
{
    public Task InitializeAsync() => redis.FlushAsync();

    public Task DisposeAsync() => Task.CompletedTask;

    [Fact]
    public async Task A_notice_is_emailed_to_the_agency_mailbox_as_text_and_html_with_a_link_to_the_challenge()
    {
        await using var host = await NotificationHost.StartAsync(redis, new Dictionary<string, string?>
        {
            ["Notification:Email:Host"] = "127.0.0.1",
            ["Notification:Email:Port"] = smtp.Port.ToString(),
            ["Notification:Email:Security"] = "None",
            ["Notification:Email:From"] = "notifications@suite.example.org",
            ["Notification:Email:ChallengeLink"] = "https://portal.example.org/challenges/{challenge}",
            ["Notification:Email:Mailboxes:police"] = "safeguarding@police.example.org",
        });
        var id = Disputes.ServiceDefaults.Grpc.SortableId.New(TimeProvider.System);

        await host.PublishAsync(NotificationDeliveryTests.Raise(id));

        Delivery? email = null;
        await Eventually.HoldsAsync(async () =>
        {
            try
            {
                var list = await host.Client.ListDeliveriesAsync(new ListDeliveriesRequest { Parent = $"challenges/{id}" }, host.Bearer("pc-101", "police"));
                email = list.Deliveries.FirstOrDefault(d => d.Channel == Channel.Email && d.Status == DeliveryStatus.Delivered);
                return email is not null;
            }
            catch (RpcException ex) when (ex.StatusCode == StatusCode.NotFound)
            {
                return false;
            }
        }, "the email is delivered", TimeSpan.FromSeconds(30));

        var message = Assert.Single(smtp.Messages(), m => m.MessageId == $"{email!.Name.Split('/')[3]}@disputes.notification");
        Assert.Equal("safeguarding@police.example.org", message.To.Mailboxes.Single().Address);
        Assert.Equal("notifications@suite.example.org", message.From.Mailboxes.Single().Address);
        Assert.Contains(id, message.Subject);
        Assert.Contains($"https://portal.example.org/challenges/{id}", message.TextBody);
        Assert.Contains($"href=\"https://portal.example.org/challenges/{id}\"", message.HtmlBody);
        Assert.Contains("has been received", message.TextBody);
        Assert.DoesNotContain("child-ref-42", message.ToString());
        Assert.Equal("safeguarding@police.example.org", email!.Destination);
        // Only the police mailbox is configured: the receiving agency's notice goes by its stream alone.
        Assert.Single(smtp.Messages());
    }
}
