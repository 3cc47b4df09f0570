using System.Text;
using Disputes.Procedure;
using Disputes.V1;
using Disputes.V1.Events;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;

namespace Disputes.IntegrationTests;

/// <summary>The escalation log on a known data set, kept up to date by the events alone.</summary>
[Collection(RedisCollection.Name)]
public sealed class EscalationReportTests(RedisServerFixture redis) : IAsyncLifetime
{
    private RecordsHost _host = null!;

    public async Task InitializeAsync()
    {
        await redis.FlushAsync();
        _host = await RecordsHost.StartAsync(redis);
        // Working days count the days after the raise up to the resolution, less weekends and England and Wales bank holidays.
        await ChallengeAsync("police", "childrens-social-care", Category.CaseClosure, At(2026, 3, 2), Resolved(At(2026, 3, 9)));        // 5 days
        await ChallengeAsync("police", "childrens-social-care", Category.CaseClosure, At(2026, 3, 3), Escalated(), Resolved(At(2026, 3, 5)));  // 2 days, stage 2
        await ChallengeAsync("health", "police", Category.NeedForAction, At(2026, 3, 4), Missed(), Withdrawn());
        await ChallengeAsync("police", "childrens-social-care", Category.CaseClosure, At(2026, 4, 1), Resolved(At(2026, 4, 8)));         // 3 days: Good Friday and Easter Monday
        await ChallengeAsync("police", "childrens-social-care", Category.CaseClosure, At(2026, 2, 27), Resolved(At(2026, 3, 2)));        // raised before the period
    }

    public async Task DisposeAsync() => await _host.DisposeAsync();

    private static readonly GetEscalationReportRequest Period = new()
    {
        StartTime = Timestamp.FromDateTimeOffset(new DateTimeOffset(2026, 3, 1, 0, 0, 0, TimeSpan.Zero)),
        EndTime = Timestamp.FromDateTimeOffset(new DateTimeOffset(2026, 5, 1, 0, 0, 0, TimeSpan.Zero)),
    };

    private Metadata Partnership => _host.Bearer("scp-1", "partnership", DisputeRoles.Partnership);

    [Fact]
    public async Task The_report_counts_the_challenges_raised_in_the_period_with_their_outcome_as_known_now()
    {
        var report = await _host.Client.GetEscalationReportAsync(Period, Partnership);

        Assert.Equal(4, report.ChallengesRaised);
        Assert.Equal((3L, 1L, 0L, 0L), (report.Resolved, report.Withdrawn, report.Open, report.ClosedNotJustified));
        Assert.Equal(3, report.MedianWorkingDaysToResolve);
        Assert.Equal(5, report.P90WorkingDaysToResolve);
        Assert.Equal(1, report.TimescalesMissed);
        Assert.Equal([("health", 1L), ("police", 3L)], report.ByRaisingAgency.Select(c => (c.Key, c.Challenges)));
        Assert.Equal([("STAGE_LINE_MANAGERS", 1L), ("STAGE_PROFESSIONAL_DISCUSSION", 3L)], report.ByHighestStage.Select(c => (c.Key, c.Challenges)));

        Assert.Equal(3, report.Rows.Count);
        var health = report.Rows[0];
        Assert.Equal(("health", "police", Category.NeedForAction, Stage.ProfessionalDiscussion, 1L, 0L, 1L),
            (health.RaisingAgencyId, health.ReceivingAgencyId, health.Category, health.HighestStage, health.Challenges, health.Resolved, health.TimescalesMissed));
        var stage1 = report.Rows.Single(r => r.RaisingAgencyId == "police" && r.HighestStage == Stage.ProfessionalDiscussion);
        Assert.Equal((2L, 2L, 4.0, 4.0, 5.0), (stage1.Challenges, stage1.Resolved, stage1.MeanWorkingDaysToResolve, stage1.MedianWorkingDaysToResolve, stage1.P90WorkingDaysToResolve));
        var stage2 = report.Rows.Single(r => r.HighestStage == Stage.LineManagers);
        Assert.Equal((1L, 1L, 2.0), (stage2.Challenges, stage2.Resolved, stage2.MeanWorkingDaysToResolve));
    }

    [Fact]
    public async Task The_csv_export_has_one_line_per_row()
    {
        var body = await _host.Client.ExportEscalationReportAsync(Period, Partnership);

        Assert.StartsWith("text/csv", body.ContentType);
        var lines = Encoding.UTF8.GetString(body.Data.ToByteArray()).Split(["\r\n", "\n"], StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(4, lines.Length);
        Assert.StartsWith("raising_agency_id,receiving_agency_id,category,highest_stage,challenges,resolved", lines[0]);
        Assert.Equal("health,police,CATEGORY_NEED_FOR_ACTION,STAGE_PROFESSIONAL_DISCUSSION,1,0,0,0,0,1", lines[1]);
        Assert.Contains("police,childrens-social-care,CATEGORY_CASE_CLOSURE,STAGE_PROFESSIONAL_DISCUSSION,2,2,4,4,5,0", lines);
    }

    [Fact]
    public async Task Only_the_partnership_reads_the_log_and_a_period_must_make_sense()
    {
        var denied = await Assert.ThrowsAsync<RpcException>(() => _host.Client.GetEscalationReportAsync(Period, _host.Bearer("pc-101", "police")).ResponseAsync);
        Assert.Equal(StatusCode.PermissionDenied, denied.StatusCode);
        var backwards = await Assert.ThrowsAsync<RpcException>(() => _host.Client.GetEscalationReportAsync(
            new GetEscalationReportRequest { StartTime = Period.EndTime, EndTime = Period.StartTime }, Partnership).ResponseAsync);
        Assert.Equal(StatusCode.InvalidArgument, backwards.StatusCode);
        var missing = await Assert.ThrowsAsync<RpcException>(() => _host.Client.GetEscalationReportAsync(new GetEscalationReportRequest(), Partnership).ResponseAsync);
        Assert.Equal(StatusCode.InvalidArgument, missing.StatusCode);
    }

    private static DateTimeOffset At(int year, int month, int day) => new(year, month, day, 10, 0, 0, TimeSpan.Zero);

    private static Func<string, long, IMessage> Resolved(DateTimeOffset at) => (name, version) => new ChallengeResolved
    {
        Challenge = name, Version = version, OccurTime = Timestamp.FromDateTimeOffset(at), Stage = Stage.ProfessionalDiscussion,
        Resolution = new Resolution { Kind = ResolutionKind.AgreedPlanOfAction, Summary = "Agreed." },
    };

    private static Func<string, long, IMessage> Escalated() => (name, version) => new ChallengeEscalated
    {
        Challenge = name, Version = version, FromStage = Stage.ProfessionalDiscussion, ToStage = Stage.LineManagers,
    };

    private static Func<string, long, IMessage> Withdrawn() => (name, version) => new ChallengeWithdrawn { Challenge = name, Version = version };

    /// <summary>Not a challenge change: it takes no version.</summary>
    private static Func<string, long, IMessage> Missed() => (name, _) => new TimescaleMissed { Challenge = name, Timescale = "stage", Stage = Stage.ProfessionalDiscussion };

    private async Task ChallengeAsync(string raising, string receiving, Category category, DateTimeOffset raisedAt, params Func<string, long, IMessage>[] then)
    {
        var raised = TestEvents.Raised();
        raised.Challenge = $"challenges/{RecordsTestSupport.NewChallengeId()}";
        raised.RaisingParty.AgencyId = raising;
        raised.ReceivingParty.AgencyId = receiving;
        raised.Category = category;
        raised.OccurTime = Timestamp.FromDateTimeOffset(raisedAt);
        await _host.DeliverAsync(raised, DisputeStory.ContextFor(raised));
        long version = 1;
        foreach (var step in then)
        {
            var @event = step(raised.Challenge, version + 1);
            if (@event is not TimescaleMissed)
                version++;
            await _host.DeliverAsync(@event, DisputeStory.ContextFor(@event));
        }
    }
}
