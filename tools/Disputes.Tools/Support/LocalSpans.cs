using System.Text.Json;
using Disputes.ServiceDefaults.Telemetry;

namespace Disputes.Tools.Support;

/// <summary>One span as a process wrote it to the local spans file (Telemetry:SpansDirectory).</summary>
public sealed record SpanLine(
    string TraceId,
    string SpanId,
    string? ParentSpanId,
    string Name,
    string Service,
    string? Kind,
    DateTimeOffset Start,
    double DurationMs,
    string? Status,
    string? DisputeId);

/// <summary>One span in its trace's tree, depth 0 for a root (or a span whose parent is not in the file).</summary>
public sealed record SpanNode(
    string SpanId,
    string? ParentSpanId,
    int Depth,
    string Service,
    string Name,
    string? Kind,
    DateTimeOffset Start,
    double DurationMs,
    string? Status);

/// <summary>The spans of one trace, parents before their children, siblings by start time.</summary>
public sealed record TraceSpans(string TraceId, IReadOnlyList<SpanNode> Spans);

/// <summary>Reads the local spans files and picks out one dispute's traces.</summary>
public static class LocalSpans
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <summary>
    /// Every span of a process's file (with the files it was rotated into), or of every *.jsonl file
    /// of a directory, in time order. A line that cannot be read (a process cut off mid-write,
    /// another format) is skipped and counted in <paramref name="unreadable"/>.
    /// </summary>
    public static IReadOnlyList<SpanLine> Read(string fileOrDirectory, out int unreadable)
    {
        var counter = new UnreadableCounter();
        var spans = Lines(FilesOf(fileOrDirectory), counter).OrderBy(s => s.Start).ToList();
        unreadable = counter.Count;
        return spans;
    }

    /// <summary>
    /// The dispute's traces, read from the files in two passes so that only its spans are held in
    /// memory (a local run under load writes many): see <see cref="OfDispute(IReadOnlyList{SpanLine}, string, IEnumerable{string?})"/>.
    /// </summary>
    public static IReadOnlyList<TraceSpans> OfDispute(string fileOrDirectory, string challengeId, IEnumerable<string?> traceIdsOfDispute, out int unreadable)
    {
        var counter = new UnreadableCounter();
        var traces = TraceIdsOf(challengeId, traceIdsOfDispute, Lines(FilesOf(fileOrDirectory), counter));
        unreadable = counter.Count;
        // Listed again: a file rotated between the passes is read under its new name (a span twice counts once).
        var spans = Lines(FilesOf(fileOrDirectory), new UnreadableCounter()).Where(s => traces.Contains(s.TraceId)).ToArray();
        return OfDispute(spans, challengeId, traces);
    }

    /// <summary>
    /// The dispute's traces: every trace with a span tagged with the dispute, and every trace its
    /// record entries, deliveries and history name; each as a tree, the traces by their first span.
    /// </summary>
    public static IReadOnlyList<TraceSpans> OfDispute(IReadOnlyList<SpanLine> spans, string challengeId, IEnumerable<string?> traceIdsOfDispute)
    {
        var traces = TraceIdsOf(challengeId, traceIdsOfDispute, spans);
        return spans.Where(s => traces.Contains(s.TraceId))
            .GroupBy(s => s.TraceId, StringComparer.OrdinalIgnoreCase)
            .Select(g => new TraceSpans(g.Key, Tree(g.DistinctBy(s => s.SpanId).ToArray())))
            .OrderBy(t => t.Spans[0].Start)
            .ToArray();
    }

    private static HashSet<string> TraceIdsOf(string challengeId, IEnumerable<string?> named, IEnumerable<SpanLine> spans)
    {
        var traces = named.OfType<string>().Where(t => t.Length > 0).ToHashSet(StringComparer.OrdinalIgnoreCase);
        foreach (var span in spans)
        {
            if (span.DisputeId == challengeId)
                traces.Add(span.TraceId);
        }
        return traces;
    }

    /// <summary>Each process's rotated files before the one it writes (the exporter's naming), so a process's spans read in time order.</summary>
    private static IReadOnlyList<string> FilesOf(string fileOrDirectory)
    {
        if (Directory.Exists(fileOrDirectory))
            return JsonLinesSpanExporter.FilesInTimeOrder(fileOrDirectory);
        var files = JsonLinesSpanExporter.FilesInTimeOrderOf(fileOrDirectory);
        // A file named by hand that follows no naming is read as it is.
        return files.Count > 0 ? files
            : File.Exists(fileOrDirectory) ? [fileOrDirectory]
            : throw new FileNotFoundException($"No spans file or directory {fileOrDirectory}.", fileOrDirectory);
    }

    private static IEnumerable<SpanLine> Lines(IEnumerable<string> files, UnreadableCounter unreadable)
    {
        foreach (var file in files)
        {
            // Shared, as the services keep appending while this reads; a file the exporter rotated
            // away since it was listed is gone, its spans already read or in its renamed copy.
            FileStream stream;
            try
            {
                stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            }
            catch (FileNotFoundException)
            {
                continue;
            }
            using var owned = stream;
            using var reader = new StreamReader(stream);
            while (reader.ReadLine() is { } line)
            {
                if (line.Length == 0)
                    continue;
                SpanLine? span = null;
                try
                {
                    span = JsonSerializer.Deserialize<SpanLine>(line, Json);
                }
                catch (JsonException)
                {
                }
                if (span is { TraceId.Length: > 0, SpanId.Length: > 0, Name: not null, Service: not null })
                    yield return span;
                else
                    unreadable.Count++;
            }
        }
    }

    private sealed class UnreadableCounter
    {
        public int Count { get; set; }
    }

    private static IReadOnlyList<SpanNode> Tree(IReadOnlyList<SpanLine> spans)
    {
        var ids = spans.Select(s => s.SpanId).ToHashSet(StringComparer.Ordinal);
        var children = spans.Where(s => s.ParentSpanId is not null && ids.Contains(s.ParentSpanId))
            .ToLookup(s => s.ParentSpanId!, StringComparer.Ordinal);
        var nodes = new List<SpanNode>(spans.Count);
        void Visit(SpanLine span, int depth)
        {
            nodes.Add(new SpanNode(span.SpanId, span.ParentSpanId, depth, span.Service, span.Name, span.Kind, span.Start, span.DurationMs, span.Status));
            foreach (var child in children[span.SpanId].OrderBy(c => c.Start))
                Visit(child, depth + 1);
        }
        foreach (var root in spans.Where(s => s.ParentSpanId is null || !ids.Contains(s.ParentSpanId)).OrderBy(s => s.Start))
            Visit(root, 0);
        return nodes;
    }
}
