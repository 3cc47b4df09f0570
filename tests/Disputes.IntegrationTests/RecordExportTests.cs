using Disputes.Procedure;
using Disputes.Records.Storage;
using Disputes.V1;
using Google.Protobuf;
using Grpc.Core;
using UglyToad.PdfPig;

namespace Disputes.IntegrationTests;

/// <summary>The chronology exported as JSON and as a PDF read back, each with the verification result; exports are audited.</summary>
[Collection(RedisCollection.Name)]
public sealed class RecordExportTests(RedisServerFixture redis) : IAsyncLifetime
{
    private RecordsHost _host = null!;
    private DisputeStory _story = null!;

    public async Task InitializeAsync()
    {
        await redis.FlushAsync();
        _host = await RecordsHost.StartAsync(redis);
        _story = new DisputeStory(RecordsTestSupport.NewChallengeId(), _host.Time.GetUtcNow());
        await _host.DeliverAllAsync(_story);
    }

    public async Task DisposeAsync() => await _host.DisposeAsync();

    private string Parent => $"challenges/{_story.ChallengeId}";

    private static string PdfText(ByteString data)
    {
        using var document = PdfDocument.Open(data.ToByteArray());
        return string.Join("\n", document.GetPages().Select(p => string.Join(" ", p.GetWords().Select(w => w.Text))));
    }

    [Fact]
    public async Task The_json_export_holds_every_entry_and_the_verification()
    {
        var body = await _host.Client.ExportRecordAsync(new ExportRecordRequest { Parent = Parent, Format = ExportFormat.Json }, _host.Bearer("pc-101", "police"));

        Assert.Equal("application/json", body.ContentType);
        var export = RecordExport.Parser.ParseJson(body.Data.ToStringUtf8());
        Assert.Equal(Parent, export.Challenge);
        Assert.True(export.Verification.Intact);
        Assert.Equal(await _host.EntriesAsync(_story.ChallengeId), export.Entries);
    }

    [Fact]
    public async Task The_pdf_opens_and_shows_the_chronology_with_its_verification()
    {
        var body = await _host.Client.ExportRecordAsync(new ExportRecordRequest { Parent = Parent, Format = ExportFormat.Pdf }, _host.Bearer("pc-101", "police"));

        Assert.Equal("application/pdf", body.ContentType);
        var text = PdfText(body.Data);
        Assert.True(text.Contains("Verification: intact"), text[..Math.Min(600, text.Length)]);
        Assert.Contains("CHALLENGE_RAISED", text);
        Assert.Contains("RECORD_ENTRY_KIND_CHAIR_APPOINTED", text);
        Assert.Contains(_story.Events[0].Context.TraceId!, text);
        Assert.Contains("school's report stands", text);
    }

    [Fact]
    public async Task A_tampered_record_prints_as_not_intact()
    {
        var db = redis.Redis.GetDatabase();
        await db.ListRightPopAsync(RecordStore.EntriesKey(_story.ChallengeId));

        var body = await _host.Client.ExportRecordAsync(new ExportRecordRequest { Parent = Parent, Format = ExportFormat.Pdf }, _host.Bearer("pc-101", "police"));

        Assert.Contains("NOT INTACT", PdfText(body.Data));
    }

    [Fact]
    public async Task Support_exports_no_narrative_and_every_export_is_audited()
    {
        var body = await _host.Client.ExportRecordAsync(new ExportRecordRequest { Parent = Parent, Format = ExportFormat.Pdf }, _host.Bearer("ops-1", "it-support", DisputeRoles.Support));
        var text = PdfText(body.Data);
        Assert.Contains("CHALLENGE_RAISED", text);
        Assert.DoesNotContain("school's report", text);

        var audit = await _host.Client.ListAccessAuditAsync(new ListAccessAuditRequest { Challenge = Parent }, _host.Bearer("scp-1", "partnership", DisputeRoles.Partnership));
        Assert.Contains(audit.Entries, e => e.Method == "ExportRecord" && e.View == "support");

        var error = await Assert.ThrowsAsync<RpcException>(() => _host.Client.ExportRecordAsync(new ExportRecordRequest { Parent = Parent }, _host.Bearer("pc-101", "police")).ResponseAsync);
        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
    }
}
