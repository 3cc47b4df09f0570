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

    private readonly string _path;
    private readonly string? _serviceName;
    private readonly Lock _lock = new();
    private FileStream? _file;

    /// <param name="path">The file to append to; created with its directory.</param>
    /// <param name="serviceName">The service name; by default the provider's resource's service.name.</param>
    public JsonLinesSpanExporter(string path, string? serviceName = null)
    {
        _path = path;
        _serviceName = serviceName;
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
