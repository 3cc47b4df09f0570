using System.Text.RegularExpressions;
using Disputes.Challenge.Commands;
using Disputes.Challenge.Storage;
using Disputes.EventBus;
using Disputes.Outbox.Redis;
using Disputes.Procedure;
using Disputes.ServiceDefaults.Identity;
using Disputes.V1;
using Microsoft.Extensions.Options;
using StackExchange.Redis;
using Xunit.Abstractions;

namespace Disputes.IntegrationTests;

/// <summary>
/// Issue 11's memory goal for the challenge and notification services: what Redis keeps, per
/// challenge raised and withdrawn at stage 1 (each command with a request_id), once every event is
/// handled and relayed. MEMORY USAGE (every nested value counted) of every key the two services
/// keep, grouped by kind, divided by the number of challenges.
/// </summary>
[Collection(RedisCollection.Name)]
public sealed partial class RedisMemoryPerChallengeTests(RedisServerFixture redis, ITestOutputHelper output) : IAsyncLifetime
{
    private const int Challenges = 200;
    private static readonly Caller Raiser = new("pc-101", "police", new HashSet<string> { DisputeRoles.Practitioner });

    public Task InitializeAsync() => redis.FlushAsync();

    public Task DisposeAsync() => Task.CompletedTask;

    [Fact]
    public async Task A_challenge_raised_and_withdrawn_at_stage_1_keeps_few_bytes_in_the_challenge_and_notification_services()
    {
        var outbox = new RedisOutbox(Options.Create(new EventBusOptions { AppId = "challenge" }));
        var events = new IntegrationEventFactory(Options.Create(new EventBusOptions { AppId = "challenge" }), TimeProvider.System, IntegrationEvents.Catalog);
        var commands = new ChallengeCommandHandler(new ChallengeStore(redis.Redis, outbox), events, TimeProvider.System);
        for (var i = 0; i < Challenges; i++)
        {
            var raised = await commands.RaiseAsync(ChallengeCommandsTests.NewRaise(requestId: $"raise-{i}"), Raiser);
            await commands.WithdrawAsync(new WithdrawChallengeRequest { Name = raised.Name, Reason = "Agreed on the phone.", RequestId = $"withdraw-{i}" }, Raiser);
        }

        // The challenge service's events, as its relay would publish them, handled by the notification service.
        var db = redis.Redis.GetDatabase();
        var envelopes = new List<EventEnvelope>();
        foreach (var stream in outbox.StreamKeys)
        {
            foreach (var entry in await db.StreamRangeAsync(stream))
                envelopes.Add(EventEnvelope.TryParse(entry[RedisOutbox.EnvelopeField].ToString())!);
            await db.KeyDeleteAsync(stream);
        }
        Assert.Equal(2 * Challenges, envelopes.Count);
        await using (var host = await NotificationHost.StartAsync(redis))
        {
            foreach (var envelope in envelopes.OrderBy(e => e.Time))
                await host.PublishAsync(envelope);
            await Eventually.HoldsAsync(() => ClusterKeys.Matching(redis.Redis, "notification:*events:*").Length == 2 * Challenges,
                "every event's deliveries are written", TimeSpan.FromSeconds(60));
            await Eventually.HoldsAsync(async () => await new RedisOutbox(Options.Create(new EventBusOptions { AppId = "notification" })).LengthAsync(db) == 0, "the notification outbox is relayed", TimeSpan.FromSeconds(30));
        }

        var usage = new SortedDictionary<string, long>(StringComparer.Ordinal);
        foreach (var key in ClusterKeys.Matching(redis.Redis, "challenge:*").Concat(ClusterKeys.Matching(redis.Redis, "notification:*")))
        {
            var bytes = (long)await db.ExecuteAsync("MEMORY", "USAGE", (RedisKey)key, "SAMPLES", "0");
            var kind = KindOf(key);
            usage[kind] = usage.GetValueOrDefault(kind) + bytes;
        }
        foreach (var (kind, bytes) in usage)
            output.WriteLine($"{kind,-36} {bytes / Challenges,6} bytes per challenge");
        var challenge = usage.Where(u => u.Key.StartsWith("challenge:", StringComparison.Ordinal)).Sum(u => u.Value) / Challenges;
        // The agency watch streams are bounded by length, not by time (a window of the newest deliveries for watchers to resume in).
        var notification = usage.Where(u => u.Key.StartsWith("notification:", StringComparison.Ordinal) && u.Key != "notification:stream").Sum(u => u.Value) / Challenges;
        var watchStreams = usage.GetValueOrDefault("notification:stream") / Challenges;
        output.WriteLine($"challenge {challenge}, notification {notification} (+ {watchStreams} in the bounded watch streams) bytes per challenge");

        Assert.InRange(challenge, 1, ChallengeBudget);
        Assert.InRange(notification, 1, NotificationBudget);
    }

    /// <summary>Measured, with some room: a change that makes a challenge cost much more fails here.</summary>
    private const long ChallengeBudget = 2_400;

    private const long NotificationBudget = 5_000;

    /// <summary>"challenge:{p07}:requests:ab12…" is "challenge:requests", "notification:{p07}:index:agency:police" is "notification:index:agency".</summary>
    private static string KindOf(string key)
    {
        var match = KeyShape().Match(key);
        return match.Success ? $"{match.Groups["service"].Value}:{match.Groups["kind"].Value}" : key;
    }

    [GeneratedRegex(@"^(?<service>[a-z]+):(\{[^}]*\}:)?(?<kind>index:[a-z]+|[a-z-]+)")]
    private static partial Regex KeyShape();
}
