using Disputes.V1;

namespace Disputes.IntegrationTests;

/// <summary>
/// VerifyRecord reads the entries with the head and the checkpoint in one transaction: appends
/// racing a verification never make an honest record look tampered with (entries past the head,
/// or a head past the entries read).
/// </summary>
[Collection(RedisCollection.Name)]
public sealed class RecordVerifyRaceTests(RedisServerFixture redis)
{
    [Fact]
    public async Task Appends_racing_verify_never_report_tampering()
    {
        await redis.FlushAsync();
        await using var host = await RecordsHost.StartAsync(redis);
        var story = new DisputeStory(RecordsTestSupport.NewChallengeId(), host.Time.GetUtcNow());
        await host.DeliverAsync(story.Events[0].Event, story.Events[0].Context);
        var id = story.ChallengeId;
        var referrer = host.Bearer("pc-101", "police");

        // Writers append until the verifications are done (bounded either way).
        const int writers = 4, maxAppendsEach = 2_000, verifies = 40;
        using var verified = new CancellationTokenSource();
        var appending = Task.WhenAll(Enumerable.Range(0, writers).Select(w => Task.Run(async () =>
        {
            for (var i = 0; i < maxAppendsEach && !verified.IsCancellationRequested; i++)
                await host.Store.AppendAsync(id, new RecordEntry { Kind = RecordEntryKind.Discussion, Stage = Stage.ProfessionalDiscussion, Summary = $"writer {w} note {i}" },
                    traceId: "", sourceEventId: null);
        })));

        var verifications = new List<VerifyRecordResponse>();
        for (var i = 0; i < verifies && !appending.IsCompleted; i++)
            verifications.Add(await host.Client.VerifyRecordAsync(new VerifyRecordRequest { Parent = $"challenges/{id}" }, referrer).ResponseAsync);
        await verified.CancelAsync();
        await appending;
        var final = await host.Client.VerifyRecordAsync(new VerifyRecordRequest { Parent = $"challenges/{id}" }, referrer).ResponseAsync;

        // The record grew while it was being verified: the appends did race the verifications.
        Assert.True(verifications.Select(v => v.EntriesChecked).Distinct().Count() >= 5,
            $"the record grew across only {verifications.Select(v => v.EntriesChecked).Distinct().Count()} of {verifications.Count} verifications");
        var tampered = verifications.Where(v => !v.Intact).ToList();
        Assert.True(tampered.Count == 0,
            $"{tampered.Count} of {verifications.Count} verifications reported tampering, e.g.: {string.Join(" ", tampered.FirstOrDefault()?.Problems ?? [])}");
        Assert.True(final.Intact, string.Join(" ", final.Problems));
        Assert.Equal(await host.Store.CountAsync(id), final.EntriesChecked);
        Assert.Equal(CheckpointStatus.Valid, final.Checkpoint);
    }
}
