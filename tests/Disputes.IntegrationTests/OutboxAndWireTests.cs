using System.Diagnostics;
using System.Text.Json;
using Disputes.Challenge.Domain;
using Disputes.Challenge.Storage;
using Disputes.Outbox.Redis;
using Disputes.Procedure;
using Disputes.Redis;
using Disputes.ServiceDefaults.Identity;
using Disputes.EventBus;
using Disputes.EventBus.Redis;
using Disputes.V1;
using Google.Protobuf.WellKnownTypes;
using Microsoft.Extensions.DependencyInjection;
using StackExchange.Redis;

namespace Disputes.IntegrationTests;

[Collection(RedisCollection.Name)]
public sealed class OutboxAndWireTests(RedisServerFixture redis) : IAsyncLifetime
{
    private const string Topic = "challenge-raised";

    public Task InitializeAsync() => redis.FlushAsync();

    public Task DisposeAsync() => Task.CompletedTask;

    private IDatabase Db => redis.Redis.GetDatabase();

    [Fact]
    public async Task A_change_and_its_event_are_written_together_or_not_at_all()
    {
        await using var challenge = await BusHost.StartAsync(redis, "challenge");
        var outbox = OutboxReads.Of("unrelayed");
        var envelope = challenge.Events.Create(TestEvents.Raised());
        // The dispute's own key, in its partition's slot like the outbox stream the event goes to.
        var state = RedisPartitions.KeyOf("unrelayed:", envelope.DisputeId!, "state");

        var failing = Db.CreateTransaction();
        failing.AddCondition(Condition.KeyExists(RedisPartitions.KeyOf("unrelayed:", envelope.DisputeId!, "no-such-key")));
        _ = failing.StringSetAsync(state, "changed");
        outbox.Add(failing, envelope);
        Assert.False(await failing.ExecuteAsync());
        Assert.False(await Db.KeyExistsAsync(state));
        Assert.Equal(0, await outbox.LengthAsync(Db));

        var succeeding = Db.CreateTransaction();
        _ = succeeding.StringSetAsync(state, "changed");
        outbox.Add(succeeding, envelope);
        Assert.True(await succeeding.ExecuteAsync());
        Assert.True(await Db.KeyExistsAsync(state));
        Assert.Equal(1, await Db.StreamLengthAsync(outbox.StreamKeyOf(envelope.DisputeId!)));
        Assert.Equal(1, await outbox.LengthAsync(Db));
    }

    [Fact]
    public async Task The_relay_publishes_outbox_entries_of_every_partition_and_removes_them()
    {
        await using var challenge = await BusHost.StartAsync(redis, "challenge", withOutbox: true);
        var envelopes = Enumerable.Range(1, 40).Select(i => challenge.Events.Create(TestEvents.Raised(i))).ToArray();
        Assert.True(envelopes.Select(RedisOutbox.PartitionOf).Distinct().Count() >= 8, "the disputes spread over many partitions");
        await OutboxReads.AddEachAsync(Db, challenge.Outbox, envelopes);

        await Eventually.HoldsAsync(async () => await Db.StreamLengthAsync(Topic) == 40, "all forty are published");
        await Eventually.HoldsAsync(async () => await challenge.Outbox.LengthAsync(Db) == 0, "every partition is emptied");
        var published = await Db.StreamRangeAsync(Topic);
        Assert.Equal(envelopes.Select(e => e.Id).Order(),
            published.Select(e => EventEnvelope.TryParse(e["data"].ToString())!.Id).Order());
    }

    [Fact]
    public async Task A_disputes_events_are_published_in_the_order_they_were_written()
    {
        await using var challenge = await BusHost.StartAsync(redis, "challenge", withOutbox: true);
        var events = Enumerable.Range(1, 3).SelectMany(n => Enumerable.Range(1, 10).Select(v =>
        {
            var raised = TestEvents.Raised(n);
            raised.Version = v;
            return challenge.Events.Create(raised);
        })).ToArray();
        await OutboxReads.AddEachAsync(Db, challenge.Outbox, events);

        await Eventually.HoldsAsync(async () => await Db.StreamLengthAsync(Topic) == 30, "all thirty are published");
        var published = (await Db.StreamRangeAsync(Topic)).Select(e => EventEnvelope.TryParse(e["data"].ToString())!).ToArray();
        foreach (var dispute in published.GroupBy(e => e.DisputeId))
            Assert.Equal(Enumerable.Range(1, 10), dispute.Select(e => (int)V1.Events.ChallengeRaised.Parser.ParseJson(e.DataJson).Version));
    }

    [Fact]
    public async Task Events_whose_publish_failed_are_published_later_none_lost()
    {
        await using var challenge = await BusHost.StartAsync(redis, "challenge", withOutbox: true,
            configure: services => services.AddSingleton<IEventPublisher>(sp =>
                new FlakyPublisher(new RedisEventPublisher(sp.GetRequiredService<IConnectionMultiplexer>()), failures: 2)));
        var flaky = (FlakyPublisher)challenge.Publisher;
        await OutboxReads.AddEachAsync(Db, challenge.Outbox, Enumerable.Range(1, 3).Select(i => challenge.Events.Create(TestEvents.Raised(i))));

        await Eventually.HoldsAsync(async () => await challenge.Outbox.LengthAsync(Db) == 0, "the outbox is emptied");
        Assert.True(flaky.Failed >= 2);
        var published = (await Db.StreamRangeAsync(Topic))
            .Select(e => EventEnvelope.TryParse(e["data"].ToString())!.DisputeId)
            .Distinct()
            .Order();
        Assert.Equal(Enumerable.Range(1, 3).Select(i => IntegrationEvents.DisputeIdOf(TestEvents.Raised(i))), published);
    }

    /// <summary>
    /// What a Dapr pubsub.redis subscriber reads: the stream key is the topic, the entry has
    /// a data field holding a CloudEvent 1.0 with every attribute Dapr sets, and consumer
    /// groups are named by app id.
    /// </summary>
    [Fact]
    public async Task A_raised_challenge_reaches_the_stream_exactly_as_Dapr_pubsub_redis_writes_it()
    {
        var spans = new System.Collections.Concurrent.ConcurrentQueue<Activity>();
        using var listener = ListenToEveryActivity(spans);
        await using var challengeApp = await BusHost.StartAsync(redis, "challenge", withOutbox: true);
        await using var recordsApp = await BusHost.StartAsync(redis, "records");
        var store = new ChallengeStore(challengeApp.Services.GetRequiredService<IConnectionMultiplexer>(), challengeApp.Outbox);
        using var request = new Activity("RaiseChallenge").SetIdFormat(ActivityIdFormat.W3C).Start();
        var challenge = new Disputes.V1.Challenge
        {
            Name = "challenges/01JD0000000000000000000042",
            RaisingParty = new Party { AgencyId = "police", ProfessionalId = "pc-101", Role = "police officer" },
            ReceivingParty = new Party { AgencyId = "childrens-social-care" },
            Version = 1,
            CreateTime = Timestamp.FromDateTimeOffset(DateTimeOffset.UtcNow),
        };
        var raised = new V1.Events.ChallengeRaised { Challenge = challenge.Name, Version = 1, RaisingParty = challenge.RaisingParty, ReceivingParty = challenge.ReceivingParty };

        await store.CreateAsync(new ChallengeAggregate(challenge), null, challengeApp.Events.Create(raised));
        request.Stop();

        await Eventually.HoldsAsync(async () => await Db.StreamLengthAsync(Topic) == 1, "the event is on the topic stream");
        var entry = Assert.Single(await Db.StreamRangeAsync(Topic));
        Assert.Equal(["data"], entry.Values.Select(v => v.Name.ToString()));
        using var json = JsonDocument.Parse(entry["data"].ToString());
        var cloudEvent = json.RootElement;
        Assert.Equal("1.0", cloudEvent.GetProperty("specversion").GetString());
        Assert.False(string.IsNullOrEmpty(cloudEvent.GetProperty("id").GetString()));
        Assert.Equal("challenge", cloudEvent.GetProperty("source").GetString());
        Assert.Equal("disputes.v1.ChallengeRaised", cloudEvent.GetProperty("type").GetString());
        Assert.Equal("application/json", cloudEvent.GetProperty("datacontenttype").GetString());
        Assert.Equal(Topic, cloudEvent.GetProperty("topic").GetString());
        Assert.Equal("pubsub", cloudEvent.GetProperty("pubsubname").GetString());
        Assert.True(DateTimeOffset.TryParse(cloudEvent.GetProperty("time").GetString(), out _));
        Assert.Equal(JsonValueKind.String, cloudEvent.GetProperty("tracestate").ValueKind);
        Assert.Equal(challenge.Name, cloudEvent.GetProperty("data").GetProperty("challenge").GetString());

        // The traceparent is the publish span's, in the trace of the request that raised the challenge.
        var traceParent = cloudEvent.GetProperty("traceparent").GetString()!;
        Assert.Matches("^00-[0-9a-f]{32}-[0-9a-f]{16}-0[01]$", traceParent);
        Assert.Equal(request.TraceId.ToHexString(), traceParent.Split('-')[1]);
        Assert.NotEqual(request.SpanId.ToHexString(), traceParent.Split('-')[2]);

        await Eventually.HoldsAsync(() => !recordsApp.Handler.Handled.IsEmpty, "the records app consumed it");
        Assert.Equal(request.TraceId.ToHexString(), Assert.Single(recordsApp.Handler.Handled).Context.TraceId);
        Assert.Contains("records", (await Db.StreamGroupInfoAsync(Topic)).Select(g => g.Name));

        // Both hops are spans about the dispute: the publish span a child of the request, the process span of the publish.
        static bool ProcessedByRecords(Activity span) =>
            span.Kind == ActivityKind.Consumer && (string?)span.GetTagItem("messaging.consumer.group.name") == "records";
        await Eventually.HoldsAsync(() => spans.Any(ProcessedByRecords), "the records process span has ended");
        var publish = Assert.Single(spans, s => s.Kind == ActivityKind.Producer);
        var process = spans.First(ProcessedByRecords);
        Assert.Equal("publish challenge-raised", publish.DisplayName);
        Assert.Equal(request.SpanId, publish.ParentSpanId);
        Assert.Equal("process challenge-raised", process.DisplayName);
        Assert.Equal(publish.SpanId, process.ParentSpanId);
        Assert.All(new[] { publish, process }, span => Assert.Equal("01JD0000000000000000000042", span.GetTagItem(EventBusTelemetry.DisputeIdTag)));
    }

    [Fact]
    public async Task Raising_again_with_the_same_request_id_returns_the_first_challenge_and_publishes_nothing_more()
    {
        await using var challengeApp = await BusHost.StartAsync(redis, "challenge");
        // No relay: the outbox keeps what the raises wrote.
        var outbox = OutboxReads.Of("challenge");
        var store = new ChallengeStore(redis.Redis, outbox);
        var caller = new Caller("pc-101", "police", new HashSet<string>());
        var request = RequestFingerprint.For(ChallengeCommand.Raise, "", caller, "req-1", new RaiseChallengeRequest());
        ChallengeAggregate Named(string id) => new(new Disputes.V1.Challenge
        {
            Name = $"challenges/{id}",
            RaisingParty = new Party { AgencyId = "police", ProfessionalId = "pc-101" },
            ReceivingParty = new Party { AgencyId = "health" },
            Version = 1,
        });

        // Each call draws its id in the request id's partition, as a raise does.
        var (firstId, retryId) = (ChallengeStore.NewId(request, TimeProvider.System), ChallengeStore.NewId(request, TimeProvider.System));
        var first = await store.CreateAsync(Named(firstId), request, challengeApp.Events.Create(TestEvents.Raised(1)));
        var retry = await store.CreateAsync(Named(retryId), request, challengeApp.Events.Create(TestEvents.Raised(2)));

        Assert.IsType<WriteOutcome.Written>(first);
        var replayed = Assert.IsType<WriteOutcome.AlreadyApplied>(retry);
        Assert.Equal($"challenges/{firstId}", replayed.Request.Result.Name);
        Assert.Null(await store.GetAsync(retryId));
        Assert.Equal(1, await outbox.LengthAsync(Db));
    }

    private static ActivityListener ListenToEveryActivity(System.Collections.Concurrent.ConcurrentQueue<Activity> stopped)
    {
        var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == EventBusTelemetry.ActivitySourceName,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = stopped.Enqueue,
        };
        ActivitySource.AddActivityListener(listener);
        return listener;
    }

    /// <summary>A transport that is down for its first few publishes.</summary>
    private sealed class FlakyPublisher(IEventPublisher inner, int failures) : IEventPublisher
    {
        private int _calls;

        public int Failed => Math.Min(Volatile.Read(ref _calls), failures);

        public string System => inner.System;

        public Task PublishAsync(EventEnvelope envelope, CancellationToken cancellationToken) =>
            Interlocked.Increment(ref _calls) <= failures
                ? Task.FromException(new TimeoutException("the broker is down"))
                : inner.PublishAsync(envelope, cancellationToken);
    }
}
