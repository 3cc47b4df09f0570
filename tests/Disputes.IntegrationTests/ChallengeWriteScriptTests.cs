using Disputes.Challenge.Commands;
using Disputes.Challenge.Domain;
using Disputes.Challenge.Storage;
using Disputes.EventBus;
using Disputes.Outbox.Redis;
using Disputes.Procedure;
using Disputes.Redis;
using Disputes.ServiceDefaults.Grpc;
using Disputes.ServiceDefaults.Identity;
using Disputes.V1;
using Grpc.Core;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Disputes.IntegrationTests;

/// <summary>The challenge's one write script against a real redis-server: all of a change and its event, or nothing.</summary>
[Collection(RedisCollection.Name)]
public sealed class ChallengeWriteScriptTests(RedisServerFixture redis) : IAsyncLifetime
{
    private static readonly Caller Raiser = new("pc-101", "police", new HashSet<string> { DisputeRoles.Practitioner });
    private static readonly Caller Receiver = new("sw-7", "childrens-social-care", new HashSet<string> { DisputeRoles.Practitioner });
    private static readonly TimeSpan Retention = TimeSpan.FromHours(6);

    private readonly RedisOutbox _outbox = new(Options.Create(new EventBusOptions { AppId = "challenge" }));
    private ChallengeStore _store = null!;
    private ChallengeCommandHandler _commands = null!;
    private IntegrationEventFactory _events = null!;

    private IDatabase Db => redis.Redis.GetDatabase();

    public async Task InitializeAsync()
    {
        await redis.FlushAsync();
        _store = new ChallengeStore(redis.Redis, _outbox, Options.Create(new ChallengeStoreOptions { RequestIdRetention = Retention }));
        _events = new IntegrationEventFactory(Options.Create(new EventBusOptions { AppId = "challenge" }), TimeProvider.System, IntegrationEvents.Catalog);
        _commands = new ChallengeCommandHandler(_store, _events, TimeProvider.System);
    }

    public Task DisposeAsync() => Task.CompletedTask;

    private Task<long> OutboxLength() => _outbox.LengthAsync(Db);

    [Fact]
    public async Task Twelve_concurrent_retries_of_one_raise_raise_one_challenge_with_one_event()
    {
        var raises = await Task.WhenAll(Enumerable.Range(0, 12).Select(_ =>
            Task.Run(() => _commands.RaiseAsync(ChallengeCommandsTests.NewRaise(requestId: "raise-once"), Raiser))));

        Assert.Single(raises.Select(r => r.Name).Distinct());
        Assert.Equal(1, await OutboxLength());
        Assert.Equal(1, await ClusterKeys.LengthAsync(Db, ChallengeStore.AllIndexes()));
        // The request id lies in the slot of the challenge it created (the script refuses nothing on a cluster).
        var id = raises[0].Name["challenges/".Length..];
        var requestKey = Assert.Single(ClusterKeys.Matching(redis.Redis, "challenge:*requests:*"));
        Assert.Equal(HashSlot.Of(ChallengeStore.ChallengeKey(id)), HashSlot.Of(requestKey));
    }

    [Fact]
    public async Task Retried_raises_racing_under_many_request_ids_each_replay_their_own_challenge()
    {
        // Each request id picks its partition; every retry of it, however the race goes, answers the one challenge it raised.
        var raises = await Task.WhenAll(Enumerable.Range(0, 8).SelectMany(n => Enumerable.Range(0, 4).Select(_ =>
            Task.Run(async () => (RequestId: $"raise-{n}", Answer: await _commands.RaiseAsync(ChallengeCommandsTests.NewRaise(requestId: $"raise-{n}"), Raiser))))));

        var byRequest = raises.GroupBy(r => r.RequestId).ToArray();
        Assert.Equal(8, byRequest.Length);
        Assert.All(byRequest, retries => Assert.Single(retries.Select(r => r.Answer.Name).Distinct()));
        Assert.Equal(8, raises.Select(r => r.Answer.Name).Distinct().Count());
        Assert.Equal(8, await ClusterKeys.LengthAsync(Db, ChallengeStore.AllIndexes()));
        Assert.Equal(8, ClusterKeys.Matching(redis.Redis, "challenge:*requests:*").Length);
    }

    [Fact]
    public async Task A_raise_with_a_request_id_is_refused_an_id_outside_the_request_ids_partition()
    {
        var request = RequestFingerprint.For(ChallengeCommand.Raise, "", Raiser, "raise-misplaced", new RaiseChallengeRequest())!;
        var elsewhere = Enumerable.Range(0, 100).Select(_ => SortableId.New(TimeProvider.System))
            .First(id => RedisPartitions.Of(id) != RedisPartitions.Of(request.Key));
        var challenge = new ChallengeAggregate(new V1.Challenge { Name = $"challenges/{elsewhere}", Version = 1 });

        await Assert.ThrowsAsync<ArgumentException>(() => _store.CreateAsync(challenge, request, _events.Create(new V1.Events.ChallengeRaised { Challenge = challenge.Name })));

        Assert.Equal(RedisPartitions.Of(request.Key), RedisPartitions.Of(ChallengeStore.NewId(request, TimeProvider.System)));
        Assert.Empty(ClusterKeys.Matching(redis.Redis, "challenge:*"));
    }

    [Fact]
    public async Task A_challenges_keys_and_its_outbox_stream_share_one_hash_slot()
    {
        var raised = await _commands.RaiseAsync(ChallengeCommandsTests.NewRaise(requestId: "raise-slot"), Raiser);
        await _commands.WithdrawAsync(new WithdrawChallengeRequest { Name = raised.Name, Reason = "Agreed.", RequestId = "withdraw-slot" }, Raiser);

        var id = raised.Name["challenges/".Length..];
        var keys = ClusterKeys.Matching(redis.Redis, "challenge:*").Where(k => !k.EndsWith(":outbox", StringComparison.Ordinal)).ToArray();
        Assert.Equal(6, keys.Length); // the challenge, two request ids, the partition's all, police and childrens-social-care indexes
        Assert.All(keys, key => Assert.Equal(HashSlot.Of(ChallengeStore.ChallengeKey(id)), HashSlot.Of(key)));
        Assert.All(keys, key => Assert.StartsWith("challenge:" + RedisPartitions.TagOf(id) + ":", key));
        // Both events went to the dispute's outbox stream, the one the bus relays for its partition.
        Assert.Equal(2, await Db.StreamLengthAsync(_outbox.StreamKeyOf(id)));
    }

    [Fact]
    public async Task A_raise_wakes_the_outbox_relay_once_its_script_has_written_the_event()
    {
        var time = new Microsoft.Extensions.Time.Testing.FakeTimeProvider();
        var waiting = _outbox.Written.WaitAsync(TimeSpan.FromHours(1), time, CancellationToken.None);
        Assert.False(waiting.IsCompleted);

        await _commands.RaiseAsync(ChallengeCommandsTests.NewRaise(), Raiser);

        // Time stands still: only the wake, not the sweep, can end the wait.
        await waiting.WaitAsync(TimeSpan.FromSeconds(15));
        Assert.Equal(1, await OutboxLength());
    }

    [Fact]
    public async Task Twelve_concurrent_retries_of_one_command_all_answer_its_result_and_write_one_event()
    {
        var raised = await _commands.RaiseAsync(ChallengeCommandsTests.NewRaise(), Raiser);
        var acknowledge = new AcknowledgeChallengeRequest { Name = raised.Name, Etag = raised.Etag, RequestId = "ack-once" };

        var answers = await Task.WhenAll(Enumerable.Range(0, 12).Select(_ => Task.Run(() => _commands.AcknowledgeAsync(acknowledge, Receiver))));

        Assert.All(answers, answer => Assert.Equal(answers[0], answer));
        Assert.Equal(2, answers[0].Version);
        Assert.Equal(2, await OutboxLength());
    }

    [Fact]
    public async Task A_write_from_a_stale_version_is_a_conflict_and_ABORTED_through_the_command()
    {
        var raised = await _commands.RaiseAsync(ChallengeCommandsTests.NewRaise(), Raiser);
        var id = raised.Name["challenges/".Length..];
        var read = (await _store.GetAsync(id))!;
        await _commands.AcknowledgeAsync(new AcknowledgeChallengeRequest { Name = raised.Name, Etag = raised.Etag }, Receiver);
        var outboxBefore = await OutboxLength();

        var change = read.Acknowledge(new Party { AgencyId = "childrens-social-care", ProfessionalId = "sw-7" }, "late", DateTimeOffset.UtcNow, "");
        var outcome = await _store.SaveAsync(read.Version, change.Challenge, null, _events.Create(change.Event));
        var stale = await Assert.ThrowsAsync<RpcException>(() =>
            _commands.WithdrawAsync(new WithdrawChallengeRequest { Name = raised.Name, Etag = raised.Etag, Reason = "r" }, Raiser));

        Assert.IsType<WriteOutcome.Conflict>(outcome);
        Assert.Equal(StatusCode.Aborted, stale.StatusCode);
        Assert.Equal(outboxBefore, await OutboxLength());
        Assert.Equal(2, (await _store.GetAsync(id))!.Version);
        Assert.False(await _store.MarkOverdueAsync(id, read.Version, "stage-1"));
        Assert.True(await _store.MarkOverdueAsync(id, 2, "stage-1"));
    }

    [Fact]
    public async Task A_script_that_fails_has_written_nothing()
    {
        // An index key of the wrong type makes the last write of the raise fail: every check runs before the first write.
        foreach (var partition in RedisPartitions.All)
            await Db.StringSetAsync(ChallengeStore.AgencyIndex("childrens-social-care", partition), "not a sorted set");

        var failure = await Assert.ThrowsAnyAsync<RedisException>(() =>
            _commands.RaiseAsync(ChallengeCommandsTests.NewRaise(requestId: "raise-broken"), Raiser));

        Assert.Contains("WRONGTYPE", failure.Message, StringComparison.Ordinal);
        Assert.Equal(0, await OutboxLength());
        Assert.Equal(0, await ClusterKeys.LengthAsync(Db, ChallengeStore.AllIndexes()));
        Assert.Equal(0, await ClusterKeys.LengthAsync(Db, ChallengeStore.AgencyIndexes("police")));
        var keys = ClusterKeys.Matching(redis.Redis, "challenge:*");
        Assert.Equal(ChallengeStore.AgencyIndexes("childrens-social-care").Select(k => k.ToString()).Order(StringComparer.Ordinal), keys);
    }

    [Fact]
    public async Task A_request_id_expires_after_the_configured_retention()
    {
        var raised = await _commands.RaiseAsync(ChallengeCommandsTests.NewRaise(requestId: "raise-ttl"), Raiser);
        await _commands.WithdrawAsync(new WithdrawChallengeRequest { Name = raised.Name, Reason = "Agreed.", RequestId = "withdraw-ttl" }, Raiser);

        var requestKeys = ClusterKeys.Matching(redis.Redis, "challenge:*requests:*");
        Assert.Equal(2, requestKeys.Length);
        foreach (var key in requestKeys)
        {
            var ttl = await Db.KeyTimeToLiveAsync(key);
            Assert.NotNull(ttl);
            Assert.InRange(ttl.Value, Retention - TimeSpan.FromMinutes(1), Retention);
        }
    }
}
