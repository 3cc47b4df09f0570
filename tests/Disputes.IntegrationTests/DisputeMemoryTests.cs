using System.Globalization;
using System.Text.RegularExpressions;
using Disputes.Escalation.Events;
using Disputes.Escalation.Storage;
using Disputes.EventBus;
using Disputes.V1;
using Disputes.V1.Events;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using StackExchange.Redis;
using Xunit.Abstractions;

namespace Disputes.IntegrationTests;

/// <summary>
/// What escalation and records keep in Redis per dispute (issue 11's memory goal): MEMORY USAGE of
/// every key they hold after the dispute, grouped by kind, printed for docs/benchmarks.md, and what
/// must be gone once a dispute is closed or its retention passed.
/// </summary>
[Collection(RedisCollection.Name)]
public sealed partial class DisputeMemoryTests(RedisServerFixture redis, ITestOutputHelper output) : IAsyncLifetime
{
    private static readonly DateTimeOffset RaisedAt = new(2026, 11, 23, 10, 0, 0, TimeSpan.Zero);
    private const int Disputes = 20;

    public Task InitializeAsync() => redis.FlushAsync();

    public Task DisposeAsync() => Task.CompletedTask;

    /// <summary>MEMORY USAGE of every key under <paramref name="prefix"/> but the outbox streams (relayed and deleted), by kind.</summary>
    private async Task<SortedDictionary<string, (int Keys, long Bytes)>> UsageAsync(string prefix, Func<string, bool>? skip = null)
    {
        var usage = new SortedDictionary<string, (int Keys, long Bytes)>(StringComparer.Ordinal);
        foreach (var server in redis.Redis.GetServers().Where(s => !s.IsReplica))
        {
            await foreach (var key in server.KeysAsync(pattern: prefix + "*"))
            {
                var name = key.ToString();
                if (name.Contains("outbox", StringComparison.Ordinal) || skip?.Invoke(name) == true)
                    continue;
                var bytes = (long)await server.ExecuteAsync("MEMORY", "USAGE", name, "SAMPLES", "0");
                var kind = KindOf(name);
                var (keys, total) = usage.GetValueOrDefault(kind);
                usage[kind] = (keys + 1, total + bytes);
            }
        }
        return usage;
    }

    /// <summary>The key without its partition tag and ids: <c>records:{p07}:entries:01J…</c> is <c>records:entries</c>.</summary>
    private static string KindOf(string key) =>
        string.Join(':', PartitionTag().Replace(key, "").Split(':').Where(part => !IdLike().IsMatch(part)).Take(3));

    private void Print(string title, SortedDictionary<string, (int Keys, long Bytes)> usage, int per)
    {
        output.WriteLine($"{title}: {usage.Values.Sum(u => u.Bytes) / (double)per:F0} bytes per {(per == Disputes ? "dispute" : "entry")} ({per})");
        foreach (var (kind, (keys, bytes)) in usage)
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {kind,-40} {keys,5} keys {bytes / (double)per,9:F0} bytes"));
    }

    [Fact]
    public async Task A_challenge_raised_and_withdrawn_at_stage_1_leaves_its_escalation_its_facts_and_its_witness_only()
    {
        var clock = new FakeTimeProvider(RaisedAt);
        await using var host = await EscalationTestHost.StartAsync(redis, clock);
        await host.LoadDemoDirectoryAsync();
        for (var i = 0; i < Disputes; i++)
        {
            var id = EscalationEvents.NewChallengeId();
            await using var scope = host.Services.CreateAsyncScope();
            await scope.ServiceProvider.GetRequiredService<ChallengeRaisedHandler>().HandleAsync(EscalationEvents.Raised(id, RaisedAt),
                new EventContext(Guid.NewGuid().ToString("N"), "challenge", RaisedAt, null, id), CancellationToken.None);
            await scope.ServiceProvider.GetRequiredService<ChallengeWithdrawnHandler>().HandleAsync(new ChallengeWithdrawn
            {
                Challenge = $"challenges/{id}",
                Version = 2,
                OccurTime = Google.Protobuf.WellKnownTypes.Timestamp.FromDateTimeOffset(RaisedAt.AddHours(1)),
                Actor = new Party { AgencyId = "police", ProfessionalId = "pc-101" },
                Stage = Stage.ProfessionalDiscussion,
                Reason = "Resolved informally.",
            }, new EventContext(Guid.NewGuid().ToString("N"), "challenge", RaisedAt, null, id), CancellationToken.None);
            // The record's head, as records publishes it after each of its entries.
            await host.Get<RecordWitnessStore>().AdvanceAsync(id, new RecordWitness
            {
                Name = $"challenges/{id}/recordWitness",
                Sequence = 3,
                HeadHash = new string('a', 64),
                Entry = $"challenges/{id}/entries/{EscalationEvents.NewChallengeId()}",
                WitnessTime = Google.Protobuf.WellKnownTypes.Timestamp.FromDateTimeOffset(RaisedAt),
                OccurTime = Google.Protobuf.WellKnownTypes.Timestamp.FromDateTimeOffset(RaisedAt),
            });
        }

        var usage = await UsageAsync("escalation:", key => key.Contains("directory", StringComparison.Ordinal) || key.Contains("policies", StringComparison.Ordinal));
        Print("escalation, raised and withdrawn at stage 1", usage, Disputes);
        // Closed: no timer, no list index, nothing held.
        Assert.Equal(["escalation:escalations", "escalation:facts", "escalation:witness"], usage.Keys);
        Assert.All(usage.Values, u => Assert.Equal(Disputes, u.Keys));
    }

    [Fact]
    public async Task A_records_sources_are_one_expiring_key_per_dispute_beside_its_chain()
    {
        await using var host = await RecordsHost.StartAsync(redis);
        var entries = 0;
        for (var i = 0; i < Disputes; i++)
        {
            var story = new DisputeStory(RecordsTestSupport.NewChallengeId(), host.Time.GetUtcNow());
            await host.DeliverAllAsync(story);
            entries += story.EntryCount;
        }

        var usage = await UsageAsync("records:");
        Print("records, the full path of DisputeStory", usage, entries);
        var chainOnly = new SortedDictionary<string, (int Keys, long Bytes)>(usage.Where(u => u.Key == "records:entries").ToDictionary(), StringComparer.Ordinal);
        Print("records chain (entries only)", chainOnly, entries);
        var rest = new SortedDictionary<string, (int Keys, long Bytes)>(usage.Where(u => u.Key != "records:entries").ToDictionary(), StringComparer.Ordinal);
        Print("records besides the chain", rest, Disputes);

        var sources = Assert.Contains("records:sources", (IReadOnlyDictionary<string, (int Keys, long Bytes)>)usage);
        Assert.Equal(Disputes, sources.Keys);
        Assert.DoesNotContain("records:events", usage.Keys);
    }

    [GeneratedRegex(@"\{[^}]*\}:")]
    private static partial Regex PartitionTag();

    [GeneratedRegex(@"^[0-9A-Z]{20,}$|^[0-9a-f]{32,}$")]
    private static partial Regex IdLike();
}
