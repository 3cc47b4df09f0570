using Disputes.Procedure;
using Disputes.Records.Recording;
using Disputes.V1;
using Google.Protobuf.WellKnownTypes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Disputes.IntegrationTests;

/// <summary>
/// The scheduled purge, on a fake clock over a real redis-server: once the clock passes the
/// retention it purges expired narrative and keeps records under legal hold; a failed run is
/// followed by the next; one replica at a time holds the lease.
/// </summary>
[Collection(RedisCollection.Name)]
public sealed class RecordPurgeScheduleTests(RedisServerFixture redis)
{
    /// <summary>The real purge, failing on the runs the test names (as a Redis outage would).</summary>
    private sealed class FailingRuns(RecordPurge purge, params int[] failing) : IExpiredRecordPurge
    {
        private int _calls;
        public int Calls => Volatile.Read(ref _calls);

        public Task<(IReadOnlyList<string> Purged, IReadOnlyList<string> Held)> PurgeExpiredAsync(CancellationToken cancellationToken) =>
            failing.Contains(Interlocked.Increment(ref _calls))
                ? throw new TimeoutException("redis did not answer during this run")
                : purge.PurgeExpiredAsync(cancellationToken);
    }

    private static async Task<(RecordsHost Host, FailingRuns Runs)> StartAsync(RedisServerFixture redis, params int[] failing)
    {
        FailingRuns? runs = null;
        var host = await RecordsHost.StartAsync(redis, settings: new()
        {
            ["Records:Purge:Scheduled"] = "true",
            ["Records:Purge:Interval"] = "1.00:00:00",
            ["Records:Retention:DefaultYears"] = "1",
        }, configure: services => services.AddSingleton<IExpiredRecordPurge>(sp => runs = new FailingRuns(sp.GetRequiredService<RecordPurge>(), failing)));
        // The first run is at start, before any record is closed.
        await Eventually.HoldsAsync(() => runs is { Calls: >= 1 }, "the scheduled purge ran at start");
        return (host, runs!);
    }

    private static async Task<string> CloseAsync(RecordsHost host)
    {
        var story = new DisputeStory(RecordsTestSupport.NewChallengeId(), host.Time.GetUtcNow());
        await host.DeliverAllAsync(story);
        var resolved = story.Resolved();
        resolved.OccurTime = Timestamp.FromDateTimeOffset(host.Time.GetUtcNow());
        await host.DeliverAsync(resolved, DisputeStory.ContextFor(resolved));
        return story.ChallengeId;
    }

    /// <summary>
    /// The purge's stub is appended first and the narrative cleared after it (a run cut short between
    /// is finished by the next), so a record is purged once both are done.
    /// </summary>
    private static async Task<bool> IsPurgedAsync(RecordsHost host, string id)
    {
        var entries = await host.EntriesAsync(id);
        return entries[^1].Kind == RecordEntryKind.Purged && entries.SkipLast(1).All(e => e.PurgeTime is not null);
    }

    /// <summary>Advances the fake clock a day at a time until <paramref name="condition"/> holds: each day lets the next run fire.</summary>
    private static Task DayByDayUntilAsync(RecordsHost host, Func<Task<bool>> condition, string what) =>
        Eventually.HoldsAsync(async () =>
        {
            if (await condition())
                return true;
            host.Time.Advance(TimeSpan.FromDays(1));
            return false;
        }, what, TimeSpan.FromSeconds(20));

    [Fact]
    public async Task Past_the_retention_the_schedule_purges_expired_narrative_and_keeps_legal_holds()
    {
        await redis.FlushAsync();
        var (host, runs) = await StartAsync(redis);
        await using var _ = host;
        var expired = await CloseAsync(host);
        var held = await CloseAsync(host);
        var partnership = host.Bearer("scp-1", "partnership", DisputeRoles.Partnership);
        await host.Client.SetLegalHoldAsync(new SetLegalHoldRequest { Parent = $"challenges/{held}", Hold = true, Reason = "Care proceedings." }, partnership);

        host.Time.Advance(TimeSpan.FromDays(2 * 365));
        await DayByDayUntilAsync(host, () => IsPurgedAsync(host, expired), "the expired record is purged");

        Assert.All((await host.EntriesAsync(expired)).SkipLast(1), e => Assert.Equal("", e.Summary));
        Assert.False(await IsPurgedAsync(host, held));
        Assert.Contains("Received.", (await host.EntriesAsync(held)).Single(e => e.Kind == RecordEntryKind.Acknowledged).Summary);
        var verified = await host.Client.VerifyRecordAsync(new VerifyRecordRequest { Parent = $"challenges/{expired}" }, partnership);
        Assert.True(verified.Intact, string.Join(" ", verified.Problems));
        Assert.True(runs.Calls >= 2);
    }

    [Fact]
    public async Task A_failed_run_does_not_stop_the_next()
    {
        await redis.FlushAsync();
        var (host, runs) = await StartAsync(redis, failing: 2);
        await using var _ = host;
        var expired = await CloseAsync(host);

        host.Time.Advance(TimeSpan.FromDays(2 * 365));
        await Eventually.HoldsAsync(() => runs.Calls >= 2, "the second run ran (and failed)");
        Assert.False(await IsPurgedAsync(host, expired));

        await DayByDayUntilAsync(host, () => IsPurgedAsync(host, expired), "a later run purges the expired record");
        Assert.True(runs.Calls >= 3);
        // The failed runs gave their lease back, and so does the run that purged (it may still be
        // finishing when the purge shows): nothing stays locked.
        await Eventually.HoldsAsync(async () => !await redis.Redis.GetDatabase().KeyExistsAsync(RecordPurgeLease.Key), "the lease is given back");
    }

    [Fact]
    public async Task One_replica_at_a_time_holds_the_lease()
    {
        await redis.FlushAsync();
        await using var host = await RecordsHost.StartAsync(redis);
        var lease = host.Services.GetRequiredService<RecordPurgeLease>();

        Assert.True(await lease.TryAcquireAsync("replica-a", TimeSpan.FromMinutes(5)));
        Assert.False(await lease.TryAcquireAsync("replica-b", TimeSpan.FromMinutes(5)));
        // While another replica holds it, a run is skipped and purges nothing.
        var schedule = ActivatorUtilities.CreateInstance<RecordPurgeSchedule>(host.Services);
        Assert.False(await schedule.RunOnceAsync(CancellationToken.None));
        await lease.ReleaseAsync("replica-b");
        Assert.False(await lease.TryAcquireAsync("replica-b", TimeSpan.FromMinutes(5)));
        await lease.ReleaseAsync("replica-a");
        Assert.True(await lease.TryAcquireAsync("replica-b", TimeSpan.FromMinutes(5)));
        await lease.ReleaseAsync("replica-b");
        Assert.True(await schedule.RunOnceAsync(CancellationToken.None));
    }
}
