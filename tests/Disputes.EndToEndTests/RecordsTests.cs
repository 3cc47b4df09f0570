using System.Diagnostics;
using System.Reflection;
using Disputes.Procedure;
using Disputes.V1;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using UglyToad.PdfPig;

namespace Disputes.EndToEndTests;

/// <summary>The records service through the gateway: the chronology in the caller's trace, verification, support view, audit and minutes rules.</summary>
[Collection(SuiteCollection.Name)]
public sealed class RecordsTests(SuiteFixture suite)
{
    private readonly ChallengeService.ChallengeServiceClient _challenges = new(suite.Gateway);
    private readonly RecordsService.RecordsServiceClient _records = new(suite.Gateway);

    private Metadata Referrer => suite.Bearer("pc-101", "police");

    [Fact]
    public async Task The_chronology_verifies_is_redacted_for_support_and_every_read_is_audited()
    {
        var traceId = ActivityTraceId.CreateRandom().ToHexString();
        var headers = Referrer;
        headers.Add("traceparent", $"00-{traceId}-{ActivitySpanId.CreateRandom().ToHexString()}-01");
        var raised = await _challenges.RaiseChallengeAsync(DisputeLifecycleTests.NewRaise(), headers);

        var timeline = await Until(async () =>
        {
            var list = await _records.ListRecordEntriesAsync(new ListRecordEntriesRequest { Parent = raised.Name }, Referrer);
            return list.Entries.Count > 0 ? list : throw new RpcException(new Status(StatusCode.NotFound, "not yet"));
        });
        var first = timeline.Entries[0];
        Assert.Equal(RecordEntryKind.ChallengeRaised, first.Kind);
        Assert.Equal(traceId, first.TraceId);
        Assert.Equal(first, await _records.GetRecordEntryAsync(new GetRecordEntryRequest { Name = first.Name }, Referrer));

        var verified = await _records.VerifyRecordAsync(new VerifyRecordRequest { Parent = raised.Name }, Referrer);
        Assert.True(verified.Intact, string.Join(" ", verified.Problems));
        Assert.False(verified.HasMissingAfterSequence);
        // Entries the raise causes elsewhere (routed, referrer told) may land between the reads: the
        // verified head lies between what was listed before and after it, and covers what it read.
        var after = await _records.ListRecordEntriesAsync(new ListRecordEntriesRequest { Parent = raised.Name }, Referrer);
        Assert.InRange(verified.HeadSequence, timeline.Entries.Count, after.Entries.Count);
        Assert.Equal(verified.EntriesChecked, verified.HeadSequence);

        var support = suite.Bearer("ops-1", "it-support", DisputeRoles.Support);
        var redacted = await _records.ListRecordEntriesAsync(new ListRecordEntriesRequest { Parent = raised.Name }, support);
        Assert.All(redacted.Entries, e => Assert.Equal("", e.Summary));
        Assert.Equal(traceId, redacted.Entries[0].TraceId);

        var audit = await _records.ListAccessAuditAsync(new ListAccessAuditRequest { Challenge = raised.Name },
            suite.Bearer("scp-1", "partnership", DisputeRoles.Partnership));
        Assert.Contains(audit.Entries, e => e.Method == "ListRecordEntries" && e.Reader.ProfessionalId == "ops-1" && e.View == "support");
        Assert.Contains(audit.Entries, e => e.Method == "GetRecordEntry" && e.Resource == first.Name);
        Assert.Contains(audit.Entries, e => e.Method == "VerifyRecord" && e.Reader.ProfessionalId == "pc-101");
        var denied = await Assert.ThrowsAsync<RpcException>(() => _records.ListAccessAuditAsync(new ListAccessAuditRequest(), Referrer).ResponseAsync);
        Assert.Equal(StatusCode.PermissionDenied, denied.StatusCode);
    }

    [Fact]
    public async Task Minutes_at_stage_1_are_refused_and_bad_minutes_name_their_fields()
    {
        var raised = await _challenges.RaiseChallengeAsync(DisputeLifecycleTests.NewRaise(), Referrer);
        await Until(() => _records.ListRecordEntriesAsync(new ListRecordEntriesRequest { Parent = raised.Name }, Referrer).ResponseAsync);
        var seniorManager = suite.Bearer("sm-1", "police", DisputeRoles.SeniorManager);

        var invalid = await Assert.ThrowsAsync<RpcException>(() => _records.RecordMinutesAsync(
            new RecordMinutesRequest { Parent = raised.Name, Meeting = new Meeting() }, seniorManager).ResponseAsync);
        Assert.Equal(StatusCode.InvalidArgument, invalid.StatusCode);

        var early = await Assert.ThrowsAsync<RpcException>(() => _records.RecordMinutesAsync(new RecordMinutesRequest
        {
            Parent = raised.Name,
            Meeting = new Meeting
            {
                HeldTime = Google.Protobuf.WellKnownTypes.Timestamp.FromDateTime(DateTime.UtcNow),
                Attendees = { new Party { AgencyId = "police" } },
                Minutes = "A meeting too early.",
            },
        }, seniorManager).ResponseAsync);
        Assert.Equal(StatusCode.FailedPrecondition, early.StatusCode);
    }

    [Fact]
    public async Task The_escalation_report_counts_the_dispute_and_its_pdf_shows_the_chronology()
    {
        var partnership = suite.Bearer("scp-report", "partnership", DisputeRoles.Partnership);
        var period = new GetEscalationReportRequest
        {
            StartTime = Timestamp.FromDateTime(DateTime.UtcNow.AddDays(-1)),
            EndTime = Timestamp.FromDateTime(DateTime.UtcNow.AddDays(1)),
        };
        var before = await _records.GetEscalationReportAsync(period, partnership);

        var referrer = suite.Bearer("pc-report", "police");
        var receiver = suite.Bearer("sw-report", "childrens-social-care");
        var raised = await _challenges.RaiseChallengeAsync(DisputeLifecycleTests.NewRaise(), referrer);
        var acknowledged = await _challenges.AcknowledgeChallengeAsync(new AcknowledgeChallengeRequest { Name = raised.Name, Etag = raised.Etag, Note = "Received." }, receiver);
        var discussed = await _challenges.RecordDiscussionAsync(new RecordDiscussionRequest
        {
            Name = raised.Name, Etag = acknowledged.Etag,
            Discussion = new Discussion { Mode = DiscussionMode.Telephone, Summary = "No agreement on the plan of action." },
        }, referrer);
        await _challenges.EscalateChallengeAsync(new EscalateChallengeRequest { Name = raised.Name, Etag = discussed.Etag, Reason = "No agreement." }, referrer);

        // The report and the chronology follow the events, so wait until the escalation is in both.
        var report = await Until(async () =>
        {
            var now = await _records.GetEscalationReportAsync(period, partnership);
            return now.ChallengesRaised > before.ChallengesRaised
                && Count(now.ByHighestStage, "STAGE_LINE_MANAGERS") > Count(before.ByHighestStage, "STAGE_LINE_MANAGERS")
                ? now : throw new RpcException(new Status(StatusCode.NotFound, "not yet"));
        });
        Assert.True(Count(report.ByRaisingAgency, "police") > Count(before.ByRaisingAgency, "police"));
        var timeline = await Until(async () =>
        {
            var list = await _records.ListRecordEntriesAsync(new ListRecordEntriesRequest { Parent = raised.Name }, referrer);
            return list.Entries.Count >= 4 ? list : throw new RpcException(new Status(StatusCode.NotFound, "not yet"));
        });

        var pdf = await _records.ExportRecordAsync(new ExportRecordRequest { Parent = raised.Name, Format = ExportFormat.Pdf }, referrer);

        Assert.Equal("application/pdf", pdf.ContentType);
        using var document = PdfDocument.Open(pdf.Data.ToByteArray());
        var text = string.Join("\n", document.GetPages().Select(page => page.Text));
        Assert.True(text.Contains("Verification: intact"), text[..Math.Min(600, text.Length)]);
        Assert.Contains(raised.Name, text);
        foreach (var entry in timeline.Entries)
        {
            Assert.Contains(ProtoName(entry.Kind), text);
            Assert.Contains($"{entry.Sequence}. ", text);
        }
        Assert.Contains("No agreement on the plan of action.", text);
    }

    private static string ProtoName(RecordEntryKind kind) =>
        typeof(RecordEntryKind).GetField(kind.ToString())!.GetCustomAttribute<Google.Protobuf.Reflection.OriginalNameAttribute>()!.Name;

    private static long Count(IEnumerable<ReportCount> counts, string key) => counts.FirstOrDefault(c => c.Key == key)?.Challenges ?? 0;

    private static async Task<T> Until<T>(Func<Task<T>> read)
    {
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (true)
        {
            try
            {
                return await read();
            }
            catch (RpcException e) when (e.StatusCode == StatusCode.NotFound && DateTime.UtcNow < deadline)
            {
                await Task.Delay(50);
            }
        }
    }
}
