using Disputes.EventBus;
using Disputes.EventBus.Redis;
using Disputes.Outbox.Redis;
using Disputes.Procedure;
using Disputes.Records.Storage;
using Disputes.Records.Witness;
using Disputes.ServiceDefaults.Identity;
using Disputes.V1;
using Disputes.V1.Events;
using Google.Protobuf;
using Grpc.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using StackExchange.Redis;

namespace Disputes.IntegrationTests;

/// <summary>
/// The witness of record heads: records publishes every head (RecordHeadAdvanced) through its
/// outbox with the entry, escalation keeps the latest under its own prefix, and VerifyRecord
/// compares the record with it. Both services in process over one real redis-server; the heads are
/// taken from records' outbox and handed to escalation's own subscription, as the relay and the bus
/// would.
/// </summary>
[Collection(RedisCollection.Name)]
public sealed class RecordWitnessTests(RedisServerFixture redis) : IAsyncLifetime
{
    private readonly AuthOptions _auth = new() { SigningKey = DevelopmentTokens.NewSigningKey() };
    private EscalationTestHost _escalation = null!;
    private DisputeStory _story = null!;

    public async Task InitializeAsync()
    {
        await redis.FlushAsync();
        // A clock given: escalation's own bus loops stay out, the test hands it the heads.
        _escalation = await EscalationTestHost.StartAsync(redis, TimeProvider.System, _auth);
        _story = new DisputeStory(RecordsTestSupport.NewChallengeId(), new DateTimeOffset(2026, 3, 2, 9, 0, 0, TimeSpan.Zero));
    }

    public async Task DisposeAsync() => await _escalation.DisposeAsync();

    private IDatabase Db => redis.Redis.GetDatabase();
    private string Id => _story.ChallengeId;

    /// <summary>Records with its witness at <paramref name="address"/> (escalation's test server when null); its relay left out.</summary>
    private Task<RecordsHost> StartRecordsAsync(string? address = null, string? tokenFile = null) =>
        RecordsHost.StartAsync(redis, settings: new()
            {
                ["Records:Witness:Address"] = address ?? "http://escalation.test",
                ["Records:Witness:Deadline"] = "00:00:02",
                ["Records:Witness:TokenFile"] = tokenFile,
            },
            auth: _auth, configure: services =>
            {
                foreach (var loop in services.Where(d => d.ServiceType == typeof(IHostedService)
                    && (d.ImplementationType == typeof(OutboxRelay) || d.ImplementationType == typeof(RedisStreamSubscriber))).ToArray())
                    services.Remove(loop);
                if (address is null)
                    services.AddHttpClient(nameof(EscalationService.EscalationServiceClient))
                        .ConfigurePrimaryHttpMessageHandler(() => _escalation.CreateHandler());
            });

    /// <summary>The heads records queued in its outbox, in order.</summary>
    private async Task<IReadOnlyList<(RecordHeadAdvanced Head, EventEnvelope Envelope)>> HeadsAsync()
    {
        return (await OutboxReads.EnvelopesAsync(Db, "records"))
            .Where(envelope => envelope.Type == RecordHeadAdvanced.Descriptor.FullName)
            .Select(envelope => (RecordHeadAdvanced.Parser.ParseJson(envelope.DataJson), envelope))
            .ToArray();
    }

    private async Task WitnessAsync(IEnumerable<(RecordHeadAdvanced Head, EventEnvelope Envelope)> heads)
    {
        var subscription = _escalation.Get<EventSubscriptions>().ForTopic(IntegrationEvents.TopicOf<RecordHeadAdvanced>())
            ?? throw new InvalidOperationException("escalation does not subscribe to RecordHeadAdvanced");
        foreach (var (head, envelope) in heads)
        {
            await using var scope = _escalation.Services.CreateAsyncScope();
            await subscription.InvokeAsync(scope.ServiceProvider, head, EventContext.From(envelope), CancellationToken.None);
        }
    }

    private static Task<VerifyRecordResponse> VerifyAsync(RecordsHost records, string id) =>
        records.Client.VerifyRecordAsync(new VerifyRecordRequest { Parent = $"challenges/{id}" }, records.Bearer("pc-101", "police")).ResponseAsync;

    [Fact]
    public async Task Every_entry_queues_its_head_in_the_same_step_and_a_normal_record_matches_its_witness()
    {
        await using var records = await StartRecordsAsync();
        await records.DeliverAllAsync(_story);
        var entries = await records.EntriesAsync(Id);
        var heads = await HeadsAsync();

        Assert.Equal(entries.Select(e => (e.Sequence, e.Hash, e.Name)), heads.Select(h => (h.Head.Sequence, h.Head.HeadHash, h.Head.Entry)));
        Assert.All(heads, h => Assert.Equal($"challenges/{Id}", h.Head.Challenge));
        // Ids and hashes only: nothing of the narrative travels with a head.
        Assert.All(heads, h => Assert.DoesNotContain("child-ref-42", h.Envelope.DataJson, StringComparison.Ordinal));

        // Redelivered and out of order: the highest sequence wins, an older one never moves it back.
        await WitnessAsync(heads.Reverse());
        await WitnessAsync(heads.Take(3));

        var result = await VerifyAsync(records, Id);
        Assert.True(result.Intact, string.Join(" ", result.Problems));
        Assert.Equal(WitnessStatus.Matches, result.Witness);
        Assert.Equal(_story.EntryCount, result.WitnessedSequence);
    }

    [Fact]
    public async Task A_record_rolled_back_to_an_earlier_genuine_state_is_caught_by_its_witness()
    {
        await using var records = await StartRecordsAsync();
        var half = _story.Events.Count / 2;
        foreach (var (@event, context) in _story.Events.Take(half))
            await records.DeliverAsync(@event, context);
        // A genuine earlier state of the record: entries, head and checkpoint together (as a backup holds them).
        RedisKey[] sealedKeys = [RecordStore.EntriesKey(Id), RecordStore.HeadKey(Id), RecordStore.CheckpointKey(Id)];
        var backup = new List<byte[]>();
        foreach (var key in sealedKeys)
            backup.Add((await Db.KeyDumpAsync(key))!);
        var earlierCount = await records.Store.CountAsync(Id);

        foreach (var (@event, context) in _story.Events.Skip(half))
            await records.DeliverAsync(@event, context);
        await WitnessAsync(await HeadsAsync());
        Assert.Equal(WitnessStatus.Matches, (await VerifyAsync(records, Id)).Witness);

        for (var i = 0; i < sealedKeys.Length; i++)
        {
            await Db.KeyDeleteAsync(sealedKeys[i]);
            await Db.KeyRestoreAsync(sealedKeys[i], backup[i]);
        }
        var result = await VerifyAsync(records, Id);

        // On its own the rolled-back record verifies: its chain, head and checkpoint are genuine.
        Assert.Equal(CheckpointStatus.Valid, result.Checkpoint);
        Assert.Equal(earlierCount, result.HeadSequence);
        Assert.Equal(earlierCount, result.EntriesChecked);
        // The witness saw more.
        Assert.False(result.Intact);
        Assert.Equal(WitnessStatus.AheadOfRecord, result.Witness);
        Assert.Equal(_story.EntryCount, result.WitnessedSequence);
        Assert.Equal(earlierCount, result.MissingAfterSequence);
        Assert.Single(result.Problems);
    }

    [Fact]
    public async Task A_witness_that_has_not_seen_the_latest_heads_is_behind_and_the_record_still_intact()
    {
        await using var records = await StartRecordsAsync();
        await records.DeliverAllAsync(_story);
        await WitnessAsync((await HeadsAsync()).Take(4));

        var result = await VerifyAsync(records, Id);

        Assert.True(result.Intact, string.Join(" ", result.Problems));
        Assert.Equal(WitnessStatus.Behind, result.Witness);
        Assert.Equal(4, result.WitnessedSequence);
    }

    [Fact]
    public async Task A_witness_that_is_down_is_reported_unavailable_and_the_verification_stands()
    {
        using var closed = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        closed.Start();
        var port = ((System.Net.IPEndPoint)closed.LocalEndpoint).Port;
        closed.Stop();
        await using var records = await StartRecordsAsync($"http://127.0.0.1:{port}");
        await records.DeliverAllAsync(_story);

        var result = await VerifyAsync(records, Id);

        Assert.True(result.Intact, string.Join(" ", result.Problems));
        Assert.Equal(WitnessStatus.Unavailable, result.Witness);
        Assert.Equal(0, result.WitnessedSequence);
        Assert.Equal(CheckpointStatus.Valid, result.Checkpoint);
    }

    [Fact]
    public async Task The_witness_answers_the_records_service_the_partnership_and_support_only()
    {
        await using var records = await StartRecordsAsync();
        await records.DeliverAllAsync(_story);
        await WitnessAsync(await HeadsAsync());
        var request = new GetRecordWitnessRequest { Name = $"challenges/{Id}/recordWitness" };

        var token = await records.Services.GetRequiredService<RecordsServiceToken>().GetAsync(CancellationToken.None);
        var asRecords = await _escalation.Client.GetRecordWitnessAsync(request, new Metadata { { "authorization", "Bearer " + token } });
        Assert.Equal(_story.EntryCount, asRecords.Sequence);
        Assert.Equal((await records.EntriesAsync(Id))[^1].Hash, asRecords.HeadHash);
        Assert.Equal(_story.EntryCount, (await _escalation.Client.GetRecordWitnessAsync(request, _escalation.Bearer("sup-1", "support-team", DisputeRoles.Support))).Sequence);

        var denied = await Assert.ThrowsAsync<RpcException>(() => _escalation.Client.GetRecordWitnessAsync(request, _escalation.Bearer("pc-101", "police")).ResponseAsync);
        Assert.Equal(StatusCode.PermissionDenied, denied.StatusCode);
        var unknown = await Assert.ThrowsAsync<RpcException>(() => _escalation.Client.GetRecordWitnessAsync(
            new GetRecordWitnessRequest { Name = $"challenges/{RecordsTestSupport.NewChallengeId()}/recordWitness" }, _escalation.Partnership).ResponseAsync);
        Assert.Equal(StatusCode.NotFound, unknown.StatusCode);
        var malformed = await Assert.ThrowsAsync<RpcException>(() => _escalation.Client.GetRecordWitnessAsync(
            new GetRecordWitnessRequest { Name = $"challenges/{Id}" }, _escalation.Partnership).ResponseAsync);
        Assert.Equal(StatusCode.InvalidArgument, malformed.StatusCode);
    }

    [Fact]
    public async Task With_a_token_file_records_presents_the_identity_providers_token_and_an_unreadable_one_leaves_the_witness_unavailable()
    {
        var tokenFile = Path.Combine(Path.GetTempPath(), $"records-witness-{Guid.NewGuid():N}.token");
        try
        {
            // As the identity provider would issue it: the records service's identity, role records_service.
            await File.WriteAllTextAsync(tokenFile, DevelopmentTokens.Mint(_auth, "records", "records", [DisputeRoles.RecordsService],
                TimeSpan.FromMinutes(10), DateTimeOffset.UtcNow) + "\n");
            await using (var records = await StartRecordsAsync(tokenFile: tokenFile))
            {
                await records.DeliverAllAsync(_story);
                await WitnessAsync(await HeadsAsync());
                Assert.Equal(WitnessStatus.Matches, (await VerifyAsync(records, Id)).Witness);

                File.Delete(tokenFile);
                var result = await VerifyAsync(records, Id);
                Assert.Equal(WitnessStatus.Unavailable, result.Witness);
                Assert.True(result.Intact, string.Join(" ", result.Problems));
            }

            // A token without the records_service role is refused by the witness: unavailable, not a failed verification.
            await File.WriteAllTextAsync(tokenFile, DevelopmentTokens.Mint(_auth, "pc-101", "police", [DisputeRoles.Practitioner],
                TimeSpan.FromMinutes(10), DateTimeOffset.UtcNow));
            await using (var records = await StartRecordsAsync(tokenFile: tokenFile))
            {
                // (This host seals with a checkpoint key of its own, so only the witness is looked at.)
                var refused = await VerifyAsync(records, Id);
                Assert.Equal(WitnessStatus.Unavailable, refused.Witness);
                Assert.Equal(0, refused.WitnessedSequence);
            }
        }
        finally
        {
            File.Delete(tokenFile);
        }
    }
}
