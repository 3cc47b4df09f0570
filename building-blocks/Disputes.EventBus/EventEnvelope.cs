using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Disputes.EventBus;

/// <summary>
/// A CloudEvents 1.0 envelope as Dapr's pub/sub writes it: the attributes the sidecar
/// sets (topic, pubsubname, traceparent, tracestate) plus <c>disputeid</c>, an
/// extension naming the dispute so every hop can tag its span without parsing data.
/// </summary>
public sealed record EventEnvelope(
    string Id,
    string Source,
    string Type,
    string Topic,
    string PubSubName,
    DateTimeOffset Time,
    string DataJson,
    string? TraceParent = null,
    string? TraceState = null,
    string? DisputeId = null)
{
    public const string SpecVersion = "1.0";
    public const string DataContentType = "application/json";
    public const string CloudEventsContentType = "application/cloudevents+json";

    private string? _json;

    /// <summary>A copy made with <c>with</c> writes its own JSON: the one this envelope wrote may no longer match it.</summary>
    private EventEnvelope(EventEnvelope original)
    {
        Id = original.Id;
        Source = original.Source;
        Type = original.Type;
        Topic = original.Topic;
        PubSubName = original.PubSubName;
        Time = original.Time;
        DataJson = original.DataJson;
        TraceParent = original.TraceParent;
        TraceState = original.TraceState;
        DisputeId = original.DisputeId;
    }

    /// <summary>The CloudEvent JSON, written once per envelope (the envelope is immutable; a <c>with</c> copy writes its own).</summary>
    public string ToCloudEventJson() => _json ??= WriteCloudEventJson();

    private string WriteCloudEventJson()
    {
        var buffer = new ArrayBufferWriter<byte>(512 + DataJson.Length);
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("specversion", SpecVersion);
            json.WriteString("id", Id);
            json.WriteString("source", Source);
            json.WriteString("type", Type);
            json.WriteString("datacontenttype", DataContentType);
            Span<char> time = stackalloc char[28];
            Time.UtcDateTime.TryFormat(time, out var written, "yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", CultureInfo.InvariantCulture);
            json.WriteString("time", time[..written]);
            json.WriteString("topic", Topic);
            json.WriteString("pubsubname", PubSubName);
            json.WriteString("traceparent", TraceParent ?? "");
            // Dapr writes the legacy traceid attribute beside traceparent; readers of either work.
            json.WriteString("traceid", TraceParent ?? "");
            json.WriteString("tracestate", TraceState ?? "");
            if (DisputeId is not null)
                json.WriteString("disputeid", DisputeId);
            json.WritePropertyName("data");
            json.WriteRawValue(DataJson);
            json.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    /// <summary>Reads a CloudEvent JSON; <c>null</c> when it is not one this bus can carry.</summary>
    public static EventEnvelope? TryParse(string json, string? fallbackTopic = null, string? fallbackPubSubName = null)
    {
        try
        {
            using var document = JsonDocument.Parse(json);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
                return null;
            var id = Text(root, "id");
            var type = Text(root, "type");
            if (string.IsNullOrEmpty(id) || string.IsNullOrEmpty(type) || !root.TryGetProperty("data", out var data) || data.ValueKind != JsonValueKind.Object)
                return null;
            var time = DateTimeOffset.TryParse(Text(root, "time"), out var parsed) ? parsed : DateTimeOffset.MinValue;
            return new EventEnvelope(
                id,
                Text(root, "source") ?? "",
                type,
                Text(root, "topic") ?? fallbackTopic ?? "",
                Text(root, "pubsubname") ?? fallbackPubSubName ?? "",
                time,
                data.GetRawText(),
                NullIfEmpty(Text(root, "traceparent")) ?? NullIfEmpty(Text(root, "traceid")),
                NullIfEmpty(Text(root, "tracestate")),
                NullIfEmpty(Text(root, "disputeid")));
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static string? Text(JsonElement root, string name) =>
        root.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private static string? NullIfEmpty(string? value) => string.IsNullOrEmpty(value) ? null : value;
}
