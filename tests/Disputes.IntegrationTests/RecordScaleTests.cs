using System.Diagnostics;
using Disputes.Procedure;
using Disputes.Records.Domain;
using Disputes.Records.Storage;
using Disputes.V1;
using Google.Protobuf.WellKnownTypes;
using StackExchange.Redis;
using Xunit.Abstractions;

namespace Disputes.IntegrationTests;

/// <summary>
/// The record at the sizes the issue names: a 10,000-entry chronology read page by page and
/// verified, and the escalation log over 100,000 challenges. Timings go to the test output
/// (figures in docs/benchmarks.md); the assertions are about the answers.
/// </summary>
[Collection(RedisCollection.Name)]
public sealed class RecordScaleTests(RedisServerFixture redis, ITestOutputHelper output) : IAsyncLifetime
{
    private RecordsHost _host = null!;

    public async Task InitializeAsync()
    {
        await redis.FlushAsync();
        _host = await RecordsHost.StartAsync(redis);
    }

    public async Task DisposeAsync() => await _host.DisposeAsync();

    [Fact]
    public async Task A_chronology_of_10000_entries_lists_and_verifies()
    {
        var story = new DisputeStory(RecordsTestSupport.NewChallengeId(), _host.Time.GetUtcNow());
        await _host.DeliverAsync(story.Events[0].Event, story.Events[0].Context);
        var appending = Stopwatch.StartNew();
        for (var i = 2; i <= 10_000; i++)
            await _host.Store.AppendAsync(story.ChallengeId, new RecordEntry { Kind = RecordEntryKind.Discussion, Summary = $"Discussion {i}: the agencies met and agreed the next step." }, "trace", $"scale-{i}");
        appending.Stop();

        var referrer = _host.Bearer("pc-101", "police");
        var listing = Stopwatch.StartNew();
        var request = new ListRecordEntriesRequest { Parent = $"challenges/{story.ChallengeId}", PageSize = 100 };
        long seen = 0;
        do
        {
            var page = await _host.Client.ListRecordEntriesAsync(request, referrer);
            seen += page.Entries.Count;
            request.PageToken = page.NextPageToken;
        }
        while (request.PageToken.Length > 0);
        listing.Stop();

        var verifying = Stopwatch.StartNew();
        var verified = await _host.Client.VerifyRecordAsync(new VerifyRecordRequest { Parent = $"challenges/{story.ChallengeId}" }, referrer);
        verifying.Stop();

        Assert.Equal(10_000, seen);
        Assert.True(verified.Intact);
        Assert.Equal(10_000, verified.EntriesChecked);
        output.WriteLine($"append 9,999 entries: {appending.ElapsedMilliseconds} ms ({appending.Elapsed.TotalMilliseconds / 9_999:F3} ms each); " +
            $"list 100 pages of 100: {listing.ElapsedMilliseconds} ms; verify 10,000: {verifying.ElapsedMilliseconds} ms");
    }

    [Fact]
    [Trait(RedisTopology.Trait, RedisTopology.SingleServerOnly)]
    public async Task The_escalation_log_over_100000_challenges()
    {
        // The states and index the events write, seeded in bulk: the report reads only these.
        var db = redis.Redis.GetDatabase();
        var start = new DateTimeOffset(2025, 1, 1, 9, 0, 0, TimeSpan.Zero);
        var agencies = new[] { "police", "childrens-social-care", "health", "education" };
        var seeding = Stopwatch.StartNew();
        for (var batchStart = 0; batchStart < 100_000; batchStart += 5_000)
        {
            var batch = db.CreateBatch();
            var writes = new List<Task>();
            for (var i = batchStart; i < batchStart + 5_000; i++)
            {
                var id = $"01JD{i:0000000000000000000000}";
                var raised = start.AddMinutes(i * 5);
                var record = new DisputeRecord
                {
                    ChallengeVersion = 3,
                    RaisingAgencyId = agencies[i % 4],
                    ReceivingAgencyId = agencies[(i + 1) % 4],
                    Category = (Category)(1 + i % 10),
                    Stage = (Stage)(1 + i % 4),
                    HighestStage = (Stage)(1 + i % 4),
                    State = i % 3 == 0 ? ChallengeState.InDiscussion : ChallengeState.Resolved,
                    RaisedTime = raised,
                    ClosedTime = i % 3 == 0 ? null : raised.AddDays(1 + i % 20),
                    TimescalesMissed = i % 7 == 0 ? 1 : 0,
                };
                writes.Add(batch.HashSetAsync(RecordStore.StateKey(id), DisputeRecordHash.Write(record)));
                writes.Add(batch.SortedSetAddAsync(RecordStore.ReportIndexOf(id), id, raised.ToUnixTimeMilliseconds()));
            }
            batch.Execute();
            await Task.WhenAll(writes);
        }
        seeding.Stop();

        var reporting = Stopwatch.StartNew();
        var report = await _host.Client.GetEscalationReportAsync(new GetEscalationReportRequest
        {
            StartTime = Timestamp.FromDateTimeOffset(start),
            EndTime = Timestamp.FromDateTimeOffset(start.AddYears(2)),
        }, _host.Bearer("scp-1", "partnership", DisputeRoles.Partnership));
        reporting.Stop();

        Assert.Equal(100_000, report.ChallengesRaised);
        Assert.Equal(100_000 - 33_334, report.Resolved);
        Assert.Equal(14_286, report.TimescalesMissed);
        Assert.Equal(100_000, report.Rows.Sum(r => r.Challenges));
        output.WriteLine($"seed 100,000 challenges: {seeding.ElapsedMilliseconds} ms; report over 100,000: {reporting.ElapsedMilliseconds} ms; rows {report.Rows.Count}");
    }
}
