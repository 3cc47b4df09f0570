using System.Reflection;
using Disputes.Notification.Channels;
using Disputes.Notification.Domain;
using Disputes.ServiceDefaults.Identity;
using Disputes.V1;
using Google.Protobuf.WellKnownTypes;

namespace Disputes.UnitTests;

public class EmailSubscriptionRulesTests
{
    private static CreateEmailSubscriptionRequest Request(string address, string displayName = "", params string[] notices) => new()
    {
        Parent = "agencies/police",
        Subscription = new EmailSubscription { Address = address, DisplayName = displayName, Notices = { notices } },
    };

    private static IReadOnlyList<string> Fields(CreateEmailSubscriptionRequest request) =>
        EmailSubscriptionRules.Check(request).All.Select(v => v.Field).ToArray();

    [Theory]
    [InlineData("safeguarding@police.example.org")]
    [InlineData("first.last+alerts@health.example.nhs.uk")]
    [InlineData("DSL@School.Example.org")]
    public void A_bare_address_is_accepted(string address) =>
        Assert.Empty(Fields(Request(address)));

    [Theory]
    [InlineData("")]
    [InlineData("not-an-address")]
    [InlineData("@police.example.org")]
    [InlineData("safeguarding@")]
    [InlineData("a@b@police.example.org")]
    [InlineData("\"a@b\"@police.example.org")]
    [InlineData("Evil <safeguarding@police.example.org>")]
    [InlineData("<safeguarding@police.example.org>")]
    [InlineData("safeguarding@police.example.org, other@elsewhere.example.org")]
    [InlineData("safeguarding@police.example.org,other@elsewhere.example.org")]
    [InlineData("safeguarding@police.example.org (the hub)")]
    [InlineData("safeguarding@police.example.org\r\nBcc: other@elsewhere.example.org")]
    [InlineData("\"the hub\"@police.example.org")]
    [InlineData("safeguarding@localhost")]
    [InlineData("safeguarding@[127.0.0.1]")]
    [InlineData("safeguarding@police.example.org\u202e")]
    [InlineData("group: safeguarding@police.example.org;")]
    [InlineData("@route.example.org:safeguarding@police.example.org")]
    public void Anything_but_one_bare_address_is_refused(string address) =>
        Assert.Equal(["subscription.address"], Fields(Request(address)));

    [Fact]
    public void Addresses_are_limited_to_what_smtp_carries()
    {
        Assert.Equal(["subscription.address"], Fields(Request(new string('a', 65) + "@police.example.org")));
        Assert.Empty(Fields(Request(new string('a', 64) + "@police.example.org")));
        var longDomain = string.Join('.', Enumerable.Repeat(new string('d', 60), 5)) + ".org";
        Assert.Equal(["subscription.address"], Fields(Request("a@" + longDomain)));
    }

    [Fact]
    public void Arbitrary_input_is_answered_with_violations_never_an_exception_and_whatever_passes_is_one_plain_mailbox()
    {
        const string alphabet = "ab.-+_@<>\"(),;:\\[] \r\n\t\u202e\u00e9=?!#%";
        var random = new Random(20261124);
        for (var i = 0; i < 5_000; i++)
        {
            var address = new string(Enumerable.Range(0, random.Next(0, 40)).Select(_ => alphabet[random.Next(alphabet.Length)]).ToArray());
            var name = new string(Enumerable.Range(0, random.Next(0, 20)).Select(_ => alphabet[random.Next(alphabet.Length)]).ToArray());
            var request = Request(address + (i % 2 == 0 ? ".example.org" : ""), name);

            if (EmailSubscriptionRules.ProblemWithAddress(request.Subscription.Address) is null)
            {
                var list = MimeKit.InternetAddressList.Parse(request.Subscription.Address);
                var mailbox = Assert.IsType<MimeKit.MailboxAddress>(Assert.Single(list));
                Assert.Equal(request.Subscription.Address, mailbox.Address);
                Assert.True(string.IsNullOrEmpty(mailbox.Name));
            }
            if (EmailSubscriptionRules.ProblemWithDisplayName(name) is null)
                Assert.DoesNotContain(name, c => c is '@' or '<' or '>' or '\r' or '\n' or '"');
            _ = EmailSubscriptionRules.Check(request);
        }
    }

    [Theory]
    [InlineData("Police Safeguarding Hub")]
    [InlineData("Équipe de protection de l'enfance")]
    [InlineData("")]
    public void A_plain_display_name_is_accepted(string name) =>
        Assert.Empty(Fields(Request("safeguarding@police.example.org", name)));

    [Theory]
    [InlineData("security@bank.example.org")]
    [InlineData("Hub <other@elsewhere.example.org>")]
    [InlineData("Hub\r\nBcc: other@elsewhere.example.org")]
    [InlineData("\u202egro.elpmaxe")]
    [InlineData("Hub, Other")]
    [InlineData("\"Quoted\"")]
    [InlineData(" Hub")]
    public void A_display_name_that_could_pass_for_an_address_or_break_a_header_is_refused(string name) =>
        Assert.Equal(["subscription.display_name"], Fields(Request("safeguarding@police.example.org", name)));

    [Fact]
    public void A_display_name_is_limited()
    {
        Assert.Empty(Fields(Request("safeguarding@police.example.org", new string('n', 100))));
        Assert.Equal(["subscription.display_name"], Fields(Request("safeguarding@police.example.org", new string('n', 101))));
    }

    [Fact]
    public void Notices_must_be_ones_the_table_sends_each_once()
    {
        Assert.Empty(Fields(Request("safeguarding@police.example.org", "", RecipientsTable.ChallengeReceived, RecipientsTable.ChallengeResolved)));
        Assert.Equal(["subscription.notices[1]"], Fields(Request("safeguarding@police.example.org", "", RecipientsTable.ChallengeReceived, "child-details")));
        Assert.Equal(["subscription.notices[2]"], Fields(Request("safeguarding@police.example.org", "", RecipientsTable.ChallengeReceived, RecipientsTable.RoutingGap, RecipientsTable.ChallengeReceived)));
    }

    [Fact]
    public void Every_problem_is_reported_at_once()
    {
        var request = Request("Evil <x@y.org>", "x@y.org", "nope");
        request.RequestId = new string('r', 129);
        Assert.Equal(["request_id", "subscription.address", "subscription.display_name", "subscription.notices[0]"], Fields(request));
        Assert.Equal(["subscription"], Fields(new CreateEmailSubscriptionRequest { Parent = "agencies/police" }));
    }

    [Fact]
    public void The_notices_a_subscription_may_name_are_every_notice_of_the_recipients_table()
    {
        var declared = typeof(RecipientsTable).GetFields(BindingFlags.Public | BindingFlags.Static)
            .Where(f => f.IsLiteral && f.FieldType == typeof(string))
            .Select(f => (string)f.GetRawConstantValue()!)
            .ToHashSet();
        Assert.True(declared.SetEquals(RecipientsTable.Notices), string.Join(", ", declared.Except(RecipientsTable.Notices)));
    }

    [Fact]
    public void A_retry_has_the_fingerprint_of_its_request_and_another_request_does_not()
    {
        var first = Request("safeguarding@police.example.org", "Hub", RecipientsTable.ChallengeReceived).Subscription;
        var retried = first.Clone();
        // Output-only fields a client echoes back are not part of what it asked for.
        retried.Name = "agencies/police/emailSubscriptions/x";
        retried.Etag = "\"x\"";
        retried.CreateTime = Timestamp.FromDateTimeOffset(DateTimeOffset.UnixEpoch);
        var fingerprint = EmailSubscriptionRules.Fingerprint("agencies/police", first);

        Assert.Equal(fingerprint, EmailSubscriptionRules.Fingerprint("agencies/police", retried));
        Assert.NotEqual(fingerprint, EmailSubscriptionRules.Fingerprint("agencies/health", first));
        Assert.NotEqual(fingerprint, EmailSubscriptionRules.Fingerprint("agencies/police", new EmailSubscription(first) { DisplayName = "Other" }));
        Assert.NotEqual(fingerprint, EmailSubscriptionRules.Fingerprint("agencies/police", new EmailSubscription(first) { Address = "other@police.example.org" }));
        var allNotices = new EmailSubscription(first);
        allNotices.Notices.Clear();
        Assert.NotEqual(fingerprint, EmailSubscriptionRules.Fingerprint("agencies/police", allNotices));
    }

    [Fact]
    public void The_etag_is_a_digest_of_the_subscription()
    {
        var subscription = new EmailSubscription { Name = "agencies/police/emailSubscriptions/1", Address = "safeguarding@police.example.org" };
        var etag = EmailSubscriptionRules.Etag(subscription);
        Assert.Matches("^\"[0-9a-f]{16}\"$", etag);
        Assert.Equal(etag, EmailSubscriptionRules.Etag(new EmailSubscription(subscription) { Etag = etag }));
        Assert.NotEqual(etag, EmailSubscriptionRules.Etag(new EmailSubscription(subscription) { Name = "agencies/police/emailSubscriptions/2" }));
    }

    [Fact]
    public void Addresses_are_unique_whatever_their_case() =>
        Assert.Equal(EmailSubscriptionRules.UniquenessKey("Safeguarding@Police.Example.org"), EmailSubscriptionRules.UniquenessKey("safeguarding@police.example.org"));

    /// <summary>Who may manage an agency's webhook and email subscriptions.</summary>
    [Theory]
    [InlineData("police", "line_manager", "police", true)]
    [InlineData("police", "safeguarding_lead", "police", true)]
    [InlineData("police", "partnership", "police", true)]
    [InlineData("police", "practitioner", "police", false)]
    [InlineData("police", "senior_manager", "police", false)]
    [InlineData("police", "iro", "police", false)]
    [InlineData("police", "independent_chair", "police", false)]
    [InlineData("police", "support", "police", false)]
    [InlineData("police", "", "police", false)]
    [InlineData("health", "line_manager", "police", false)]
    [InlineData("health", "safeguarding_lead", "police", false)]
    [InlineData("safeguarding-partnership", "partnership", "police", false)]
    [InlineData("", "line_manager", "", false)]
    public void Subscription_managers(string callerAgency, string role, string agency, bool mayManage)
    {
        var caller = new Caller("someone", callerAgency, role.Length > 0 ? new HashSet<string> { role } : new HashSet<string>());
        Assert.Equal(mayManage, SubscriptionManagers.MayManage(caller, agency));
    }

    [Theory]
    [InlineData("agencies/police/emailSubscriptions/01JD0000000000000000000001", true)]
    [InlineData("agencies/police/webhookSubscriptions/01JD0000000000000000000001", false)]
    [InlineData("safeguarding@police.example.org", false)]
    [InlineData("agencies//emailSubscriptions/1", false)]
    public void An_email_delivery_names_its_subscription(string destination, bool parsed) =>
        Assert.Equal(parsed, EmailChannel.TryParseName(destination, out _, out _));

    [Fact]
    public void An_email_is_addressed_with_the_subscription_display_name()
    {
        var to = new MimeKit.MailboxAddress("Police Safeguarding Hub", "safeguarding@police.example.org");
        var message = EmailChannel.Build(new Delivery
        {
            Name = "challenges/01JD0000000000000000000000/deliveries/abc",
            Notice = RecipientsTable.ChallengeReceived,
            Message = "Your challenge has been received.",
            Stage = Stage.ProfessionalDiscussion,
            CreateTime = Timestamp.FromDateTimeOffset(DateTimeOffset.UnixEpoch),
        }, to, new Disputes.Notification.EmailOptions());

        Assert.Equal("\"Police Safeguarding Hub\" <safeguarding@police.example.org>", message.To.ToString());
    }
}
