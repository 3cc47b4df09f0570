using System.Diagnostics;
using Disputes.ServiceDefaults.Telemetry;
using Disputes.Tools.Support;

namespace Disputes.IntegrationTests;

/// <summary>What <c>disputes-tools trace --spans</c> reads: the spans files the services write, picked by dispute and built into trees.</summary>
public sealed class LocalSpansTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), $"disputes-local-spans-{Guid.NewGuid():N}");

    public LocalSpansTests() => Directory.CreateDirectory(_directory);

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    /// <summary>A finished span of 5 ms: a root of its own trace, or the child of <paramref name="parent"/> in <paramref name="trace"/>.</summary>
    private static Activity Span(string name, ActivityTraceId trace, ActivitySpanId? parent, string? dispute, DateTime start)
    {
        var activity = new Activity(name).SetIdFormat(ActivityIdFormat.W3C);
        if (parent is { } p)
            activity.SetParentId(trace, p, ActivityTraceFlags.Recorded);
        activity.SetStartTime(start);
        activity.Start();
        if (dispute is not null)
            activity.SetTag("dispute.id", dispute);
        activity.SetEndTime(start.AddMilliseconds(5));
        activity.Stop();
        return activity;
    }

    private void Write(string service, params Activity[] spans)
    {
        using var file = File.Open(JsonLinesSpanExporter.FileFor(_directory, service), FileMode.Append);
        foreach (var span in spans)
        {
            JsonLinesSpanExporter.WriteLine(file, span, service);
            file.WriteByte((byte)'\n');
        }
    }

    [Fact]
    public void The_disputes_traces_are_found_by_its_tag_and_by_the_trace_ids_it_names_and_each_is_a_tree()
    {
        var t0 = DateTime.UtcNow;
        var raise = Span("RaiseChallenge", default, null, "dispute-1", t0);
        var trace = raise.TraceId;
        var publish = Span("publish challenge-raised", trace, raise.SpanId, null, t0.AddMilliseconds(1));
        var process = Span("process challenge-raised", trace, publish.SpanId, null, t0.AddMilliseconds(3));
        var record = Span("process challenge-raised", trace, publish.SpanId, null, t0.AddMilliseconds(2));
        var named = Span("fire timer", default, null, null, t0.AddSeconds(1));
        var other = Span("RaiseChallenge", default, null, "dispute-2", t0);
        Write("Disputes.Challenge", raise, publish, other);
        Write("Disputes.Escalation", process, named);
        Write("Disputes.Records", record);
        File.AppendAllText(Path.Combine(_directory, "Disputes.Records-1.jsonl"), "{\"traceId\": \"cut off mid-wri\n");

        var spans = LocalSpans.Read(_directory, out var unreadable);
        Assert.Equal(1, unreadable);
        Assert.Equal(6, spans.Count);

        var traces = LocalSpans.OfDispute(spans, "dispute-1", [named.TraceId.ToHexString(), null]);
        Assert.Equal([trace.ToHexString(), named.TraceId.ToHexString()], traces.Select(t => t.TraceId));
        var tree = traces[0].Spans;
        Assert.Equal([raise.SpanId.ToHexString(), publish.SpanId.ToHexString(), record.SpanId.ToHexString(), process.SpanId.ToHexString()],
            tree.Select(s => s.SpanId));
        Assert.Equal([0, 1, 2, 2], tree.Select(s => s.Depth));
        Assert.Equal(["Disputes.Challenge", "Disputes.Challenge", "Disputes.Records", "Disputes.Escalation"], tree.Select(s => s.Service));
        Assert.All(tree, s => Assert.Equal(5, s.DurationMs));
        Assert.Single(traces[1].Spans);

        // Read from the files, holding only the dispute's spans: the same traces.
        var streamed = LocalSpans.OfDispute(_directory, "dispute-1", [named.TraceId.ToHexString(), null], out var skipped);
        Assert.Equal(1, skipped);
        Assert.Equal(traces.Select(t => (t.TraceId, string.Join(",", t.Spans.Select(s => $"{s.SpanId}/{s.Depth}")))),
            streamed.Select(t => (t.TraceId, string.Join(",", t.Spans.Select(s => $"{s.SpanId}/{s.Depth}")))));

        // One file works as well as the directory.
        Assert.Equal(2, LocalSpans.Read(JsonLinesSpanExporter.FileFor(_directory, "Disputes.Escalation"), out _).Count);
    }

    [Fact]
    public void Rotated_files_are_read_too_so_a_trace_written_across_a_rotation_is_whole_and_in_time_order()
    {
        // Each span its own batch through the real exporter, with a bound so small every other batch rotates.
        var file = JsonLinesSpanExporter.FileFor(_directory, "Disputes.Challenge");
        var exporter = new JsonLinesSpanExporter(file, "Disputes.Challenge", new SpansFileRotation(MaxFileBytes: 600, FilesKept: 50));
        var t0 = DateTime.UtcNow;
        var raise = Span("RaiseChallenge", default, null, "dispute-1", t0);
        var written = new List<Activity> { raise };
        for (var i = 1; i <= 8; i++)
            written.Add(Span($"step {i}", raise.TraceId, written[^1].SpanId, null, t0.AddMilliseconds(i)));
        var unrelated = Span("ListChallenges", default, null, null, t0.AddMilliseconds(20));
        foreach (var span in written.Append(unrelated))
            Assert.Equal(OpenTelemetry.ExportResult.Success, exporter.Export(new OpenTelemetry.Batch<Activity>([span], 1)));
        exporter.Shutdown();
        var files = JsonLinesSpanExporter.FilesInTimeOrderOf(file);
        Assert.True(files.Count >= 3, $"only {files.Count} file(s): nothing rotated");

        var traces = LocalSpans.OfDispute(_directory, "dispute-1", [], out var unreadable);

        Assert.Equal(0, unreadable);
        var trace = Assert.Single(traces);
        Assert.Equal(written.Select(s => s.SpanId.ToHexString()), trace.Spans.Select(s => s.SpanId));
        Assert.Equal(Enumerable.Range(0, written.Count), trace.Spans.Select(s => s.Depth));
        // Every span, in the order the process wrote them, from the directory and from the process's file alike.
        string[] inOrder = [.. written.Select(s => s.SpanId.ToHexString()), unrelated.SpanId.ToHexString()];
        Assert.Equal(inOrder, LocalSpans.Read(_directory, out _).Select(s => s.SpanId));
        Assert.Equal(inOrder, LocalSpans.Read(file, out _).Select(s => s.SpanId));
        Assert.Equal(inOrder, LocalSpans.Read(files[0], out _).Select(s => s.SpanId));
    }
}
