using System.Text.Json;
using Disputes.EventBus;
using Disputes.Procedure;
using Disputes.V1.Events;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace Disputes.UnitTests;

public class EventEnvelopeTests
{
    private static readonly FakeTimeProvider Time = new(new DateTimeOffset(2026, 11, 23, 10, 0, 0, TimeSpan.Zero));

    private static IntegrationEventFactory Factory() =>
        new(Options.Create(new EventBusOptions { AppId = "challenge", PubSubName = "pubsub" }), Time, IntegrationEvents.Catalog);

    [Fact]
    public void The_CloudEvent_carries_every_attribute_Dapr_writes()
    {
        var envelope = Factory().Create(TestEvents.Raised()) with { TraceParent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01" };
        using var json = JsonDocument.Parse(envelope.ToCloudEventJson());
        var root = json.RootElement;

        Assert.Equal("1.0", root.GetProperty("specversion").GetString());
        Assert.Equal(envelope.Id, root.GetProperty("id").GetString());
        Assert.Equal("challenge", root.GetProperty("source").GetString());
        Assert.Equal("disputes.v1.ChallengeRaised", root.GetProperty("type").GetString());
        Assert.Equal("application/json", root.GetProperty("datacontenttype").GetString());
        Assert.Equal("challenge-raised", root.GetProperty("topic").GetString());
        Assert.Equal("pubsub", root.GetProperty("pubsubname").GetString());
        Assert.Equal("2026-11-23T10:00:00.0000000Z", root.GetProperty("time").GetString());
        Assert.Equal(envelope.TraceParent, root.GetProperty("traceparent").GetString());
        Assert.True(root.TryGetProperty("tracestate", out _));
        Assert.Equal("01JD0000000000000000000000", root.GetProperty("disputeid").GetString());
        Assert.Equal("challenges/01JD0000000000000000000000", root.GetProperty("data").GetProperty("challenge").GetString());
    }

    [Fact]
    public void The_CloudEvent_is_written_byte_for_byte_as_Dapr_reads_it()
    {
        var envelope = new EventEnvelope("e-1", "challenge", "disputes.v1.ChallengeWithdrawn", "challenge-withdrawn", "pubsub",
            new DateTimeOffset(2026, 11, 23, 11, 0, 0, TimeSpan.FromHours(1)).AddTicks(1234567), """{"challenge":"challenges/c-1","version":2}""",
            "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01", "a=b", "c-1");

        // Single quotes for readability; the wire has double quotes.
        var expected = ("{'specversion':'1.0','id':'e-1','source':'challenge','type':'disputes.v1.ChallengeWithdrawn','datacontenttype':'application/json',"
            + "'time':'2026-11-23T10:00:00.1234567Z','topic':'challenge-withdrawn','pubsubname':'pubsub',"
            + "'traceparent':'00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01','traceid':'00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',"
            + "'tracestate':'a=b','disputeid':'c-1','data':{'challenge':'challenges/c-1','version':2}}").Replace('\'', '"');
        Assert.Equal(expected,
            envelope.ToCloudEventJson());
    }

    [Fact]
    public void The_JSON_is_written_once_per_envelope_and_a_changed_copy_writes_its_own()
    {
        var envelope = Factory().Create(TestEvents.Raised());
        var first = envelope.ToCloudEventJson();

        var retraced = envelope with { TraceParent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01" };
        var retopiced = envelope with { Topic = "challenge-raised-deadletter" };

        Assert.Same(first, envelope.ToCloudEventJson());
        Assert.Equal(retraced.TraceParent, JsonDocument.Parse(retraced.ToCloudEventJson()).RootElement.GetProperty("traceparent").GetString());
        Assert.Equal("challenge-raised-deadletter", JsonDocument.Parse(retopiced.ToCloudEventJson()).RootElement.GetProperty("topic").GetString());
        Assert.Equal(first, (envelope with { }).ToCloudEventJson());
    }

    [Fact]
    public void A_CloudEvent_reads_back_as_the_same_envelope()
    {
        var envelope = Factory().Create(TestEvents.Raised()) with { TraceParent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01", TraceState = "a=b" };
        var read = EventEnvelope.TryParse(envelope.ToCloudEventJson());
        Assert.NotNull(read);
        Assert.Equal(envelope with { DataJson = read.DataJson }, read);
        Assert.Equal(TestEvents.Raised(), ChallengeRaised.Parser.ParseJson(read.DataJson));
    }

    [Theory]
    [InlineData("not json")]
    [InlineData("[]")]
    [InlineData("{\"id\":\"1\",\"type\":\"t\"}")]
    [InlineData("{\"id\":\"1\",\"type\":\"t\",\"data\":\"a string\"}")]
    [InlineData("{\"type\":\"t\",\"data\":{}}")]
    public void What_is_not_a_CloudEvent_with_object_data_is_refused(string json) => Assert.Null(EventEnvelope.TryParse(json));

    [Fact]
    public void Every_integration_event_declares_its_own_topic()
    {
        var topics = IntegrationEvents.All.Select(IntegrationEvents.TopicOf).ToArray();
        Assert.Contains("challenge-raised", topics);
        Assert.Equal(topics.Length, topics.Distinct().Count());
        Assert.All(IntegrationEvents.All, e => Assert.NotNull(e.FindFieldByName("challenge")));
        Assert.All(IntegrationEvents.All, e => Assert.NotNull(e.FindFieldByName("version")));
    }

    [Fact]
    public void A_message_that_is_not_an_integration_event_has_no_topic() =>
        Assert.Throws<InvalidOperationException>(() => IntegrationEvents.TopicOf(Disputes.V1.Party.Descriptor));
}
