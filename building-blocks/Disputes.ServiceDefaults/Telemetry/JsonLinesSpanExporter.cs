using System.Diagnostics;
using System.Text;
using System.Text.Json;
using Disputes.EventBus;
using OpenTelemetry;

namespace Disputes.ServiceDefaults.Telemetry;

/// <summary>
/// Appends each finished span as one JSON line (ids, name, service, times, status, the dispute and
/// a few allowlisted attributes; never a message, an exception text or a narrative) to a file of
/// this process's own, so several processes writing into one directory never interleave lines.
/// Past <see cref="SpansFileRotation.MaxFileBytes"/> the file is renamed to
/// <c>&lt;name&gt;.&lt;sequence&gt;.jsonl</c> and a new one begun; the oldest rotated files go past
/// <see cref="SpansFileRotation.FilesKept"/>. <see cref="FilesInTimeOrder"/> lists them for readers.
/// </summary>
public sealed class JsonLinesSpanExporter : BaseExporter<Activity>
{
    /// <summary>The attributes a line may carry: ids, routes, codes. Anything else (messages, bodies, exception texts) is left out.</summary>
    public static readonly IReadOnlySet<string> SafeAttributes = new HashSet<string>(StringComparer.Ordinal)
    {
        "rpc.system", "rpc.service", "rpc.method", "rpc.grpc.status_code",
        "http.request.method", "http.route", "http.response.status_code", "server.port",
        "messaging.system", "messaging.operation.type", "messaging.destination.name", "messaging.consumer.group.name", "messaging.message.id",
        "cloudevents.event_id", "cloudevents.event_type", "cloudevents.event_source",
        "error.type", "disputes.timer.id", "disputes.duplicate",
    };

    private const string Extension = ".jsonl";
    private const int SequenceDigits = 6;

    private readonly string _path;
    private readonly string? _serviceName;
    private readonly SpansFileRotation _rotation;
    private readonly Lock _lock = new();
    private FileStream? _file;

    /// <param name="path">The file to append to; created with its directory.</param>
    /// <param name="serviceName">The service name; by default the provider's resource's service.name.</param>
    /// <param name="rotation">When to rotate the file and how many to keep; <see cref="SpansFileRotation.Default"/> when null.</param>
    public JsonLinesSpanExporter(string path, string? serviceName = null, SpansFileRotation? rotation = null)
    {
        if (!path.EndsWith(Extension, StringComparison.Ordinal))
            throw new ArgumentException($"A spans file's name ends in {Extension}.", nameof(path));
        _path = Path.GetFullPath(path);
        _serviceName = serviceName;
        _rotation = rotation ?? SpansFileRotation.Default;
    }

    /// <summary>This process's file in <paramref name="directory"/>: one per service and process id.</summary>
    public static string FileFor(string directory, string serviceName) =>
        Path.Combine(directory, $"{Sanitize(serviceName)}-{Environment.ProcessId}.jsonl");

    public override ExportResult Export(in Batch<Activity> batch)
    {
        var service = _serviceName ?? ServiceNameOfProvider();
        var buffer = new MemoryStream();
        foreach (var activity in batch)
        {
            WriteLine(buffer, activity, service);
            buffer.WriteByte((byte)'\n');
        }
        try
        {
            lock (_lock)
            {
                if (_file is null)
                {
                    Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(_path))!);
                    _file = new FileStream(_path, FileMode.Append, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete);
                }
                buffer.WriteTo(_file);
                _file.Flush();
                // Whole batches only, so a line is never split across two files.
                if (_file.Length >= _rotation.MaxFileBytes)
                    TryRotate();
            }
            return ExportResult.Success;
        }
        catch (IOException)
        {
            return ExportResult.Failure;
        }
        catch (UnauthorizedAccessException)
        {
            return ExportResult.Failure;
        }
    }

    /// <summary>
    /// Closes the file, renames it to the next sequence number of its name (after any a process
    /// with the same id left, as in a container restarted) and deletes the oldest past the bound;
    /// the next batch opens a new file. Readers holding the old file open keep reading it.
    /// </summary>
    private void TryRotate()
    {
        try
        {
            Rotate();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // The batch is written; the next one tries again (appending meanwhile if the rename failed).
        }
    }

    private void Rotate()
    {
        _file!.Dispose();
        _file = null;
        var rotated = RotatedFilesOf(_path);
        var next = rotated.Count == 0 ? 1 : rotated[^1].Sequence + 1;
        File.Move(_path, RotatedName(_path, next));
        var excess = rotated.Count + 1 - (_rotation.FilesKept - 1);
        foreach (var (file, _) in rotated.Take(Math.Max(0, excess)))
            File.Delete(file);
        if (_rotation.FilesKept == 1)
            File.Delete(RotatedName(_path, next));
    }

    /// <summary>
    /// Deletes the spans files of <paramref name="directory"/> (any process's, exited ones included:
    /// each run of a process starts a file of its own) not written for longer than
    /// <paramref name="retention"/>; zero keeps them all. A file that cannot be deleted is left.
    /// </summary>
    /// <returns>How many were deleted.</returns>
    public static int DeleteExpired(string directory, TimeSpan retention, DateTimeOffset now)
    {
        if (retention <= TimeSpan.Zero || !Directory.Exists(directory))
            return 0;
        var deleted = 0;
        foreach (var file in Directory.GetFiles(directory, "*" + Extension))
        {
            try
            {
                if (now - File.GetLastWriteTimeUtc(file) <= retention)
                    continue;
                File.Delete(file);
                deleted++;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // Another process may be deleting it too; it goes at the next start.
            }
        }
        return deleted;
    }

    /// <summary>The name a rotated file of <paramref name="current"/> takes: its sequence number before the extension.</summary>
    public static string RotatedName(string current, long sequence) =>
        $"{current[..^Extension.Length]}.{sequence.ToString($"D{SequenceDigits}", System.Globalization.CultureInfo.InvariantCulture)}{Extension}";

    /// <summary>
    /// The spans files of a directory, oldest first for each process's file: its rotated files by
    /// sequence number, then the one being written. Files of different processes by name.
    /// </summary>
    public static IReadOnlyList<string> FilesInTimeOrder(string directory)
    {
        var files = Directory.GetFiles(directory, "*" + Extension);
        return files.Select(f => (File: f, Key: SequenceOf(f)))
            .OrderBy(f => f.Key.Current, StringComparer.Ordinal)
            .ThenBy(f => f.Key.Sequence ?? long.MaxValue)
            .Select(f => f.File)
            .ToArray();
    }

    /// <summary>One process's file and its rotated files, oldest first (the file being written last, when it exists).</summary>
    public static IReadOnlyList<string> FilesInTimeOrderOf(string file)
    {
        if (!file.EndsWith(Extension, StringComparison.Ordinal))
            return File.Exists(file) ? [file] : [];
        var current = SequenceOf(Path.GetFullPath(file)).Current;
        var rotated = RotatedFilesOf(current).Select(r => r.File);
        return File.Exists(current) ? [.. rotated, current] : [.. rotated];
    }

    private static List<(string File, long Sequence)> RotatedFilesOf(string current)
    {
        var directory = Path.GetDirectoryName(current)!;
        if (!Directory.Exists(directory))
            return [];
        var prefix = Path.GetFileName(current)[..^Extension.Length] + ".";
        return Directory.GetFiles(directory, prefix + "*" + Extension)
            .Select(f => (File: f, Key: SequenceOf(f)))
            .Where(f => f.Key.Sequence is not null && string.Equals(f.Key.Current, current, StringComparison.Ordinal))
            .Select(f => (f.File, f.Key.Sequence!.Value))
            .OrderBy(f => f.Item2)
            .ToList();
    }

    /// <summary>A rotated file's sequence number and the file it was rotated from; a file being written has no number.</summary>
    private static (string Current, long? Sequence) SequenceOf(string file)
    {
        var stem = file[..^Extension.Length];
        var dot = stem.LastIndexOf('.');
        var separator = Math.Max(stem.LastIndexOf('/'), stem.LastIndexOf(Path.DirectorySeparatorChar));
        return dot > separator && dot < stem.Length - 1 && stem[(dot + 1)..].All(char.IsAsciiDigit)
            && long.TryParse(stem[(dot + 1)..], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var sequence)
            ? (stem[..dot] + Extension, sequence)
            : (file, null);
    }

    /// <summary>One span as one JSON object (no line break).</summary>
    public static void WriteLine(Stream stream, Activity activity, string service)
    {
        using var json = new Utf8JsonWriter(stream);
        json.WriteStartObject();
        json.WriteString("traceId", activity.TraceId.ToHexString());
        json.WriteString("spanId", activity.SpanId.ToHexString());
        if (activity.ParentSpanId != default)
            json.WriteString("parentSpanId", activity.ParentSpanId.ToHexString());
        json.WriteString("name", activity.DisplayName);
        json.WriteString("service", service);
        json.WriteString("kind", activity.Kind.ToString());
        json.WriteString("start", new DateTimeOffset(activity.StartTimeUtc, TimeSpan.Zero));
        json.WriteNumber("durationMs", Math.Round(activity.Duration.TotalMilliseconds, 3));
        json.WriteString("status", activity.Status.ToString());
        if (activity.GetTagItem(EventBusTelemetry.DisputeIdTag) is { } dispute)
            json.WriteString("disputeId", dispute.ToString());
        json.WriteStartObject("attributes");
        foreach (var (key, value) in activity.EnumerateTagObjects())
        {
            if (value is null || !SafeAttributes.Contains(key))
                continue;
            switch (value)
            {
                case bool b: json.WriteBoolean(key, b); break;
                case int i: json.WriteNumber(key, i); break;
                case long l: json.WriteNumber(key, l); break;
                default: json.WriteString(key, Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture)); break;
            }
        }
        json.WriteEndObject();
        json.WriteEndObject();
    }

    protected override bool OnShutdown(int timeoutMilliseconds)
    {
        lock (_lock)
        {
            _file?.Dispose();
            _file = null;
        }
        return true;
    }

    private string ServiceNameOfProvider()
    {
        var resource = ParentProvider?.GetResource();
        var name = resource?.Attributes.FirstOrDefault(a => a.Key == "service.name").Value as string;
        return string.IsNullOrEmpty(name) ? "unknown_service" : name;
    }

    private static string Sanitize(string name) =>
        new(name.Select(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' ? c : '_').ToArray());
}
