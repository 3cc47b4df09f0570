using System.Text.Json;
using Disputes.EventBus;
using StackExchange.Redis;

namespace Disputes.Tools.Support;

/// <summary>
/// What support may see of a dead-lettered event: where and when it was dead-lettered, why (when the
/// entry says), and the CloudEvent's id, type, source, dispute, time, trace and version. Built field by
/// field; the event's data (the narrative) is never copied.
/// </summary>
public sealed record DeadLetter(
    string Topic,
    string EntryId,
    DateTimeOffset? DeadLetterTime,
    string? Reason,
    string? OriginalEntryId,
    bool IsCloudEvent,
    string? EventId,
    string? EventType,
    string? Source,
    string? DisputeId,
    DateTimeOffset? EventTime,
    string? TraceId,
    long? Version,
    IReadOnlyList<string> Fields)
{
    /// <summary>Read from whichever reason field the bus writes; older entries carry none.</summary>
    public static readonly string[] ReasonFields = ["reason", "deadletter-reason"];

    public const string OriginalEntryIdField = "deadletter-entry-id";

    /// <summary>A dead letter of <paramref name="topic"/> (a topic, or an outbox such as "challenge:outbox" whose entries keep the event in "envelope").</summary>
    public static DeadLetter From(string topic, StreamEntry entry, string dataField = Disputes.EventBus.Redis.RedisStreamFields.Data, string? entryId = null)
    {
        var fields = entry.Values.Where(v => !v.Name.IsNull).Select(v => v.Name.ToString()).ToArray();
        var reason = ReasonFields.Select(name => entry[name]).FirstOrDefault(value => !value.IsNullOrEmpty);
        var originalId = entry[OriginalEntryIdField];
        var data = entry[dataField];
        var envelope = data.IsNullOrEmpty ? null : EventEnvelope.TryParse(data.ToString());
        return new DeadLetter(
            topic,
            entryId ?? entry.Id.ToString(),
            StreamIds.TimeOf(entry.Id),
            reason.IsNullOrEmpty ? null : reason.ToString(),
            originalId.IsNullOrEmpty ? null : originalId.ToString(),
            envelope is not null,
            envelope?.Id,
            envelope?.Type,
            envelope?.Source,
            envelope?.DisputeId,
            envelope is null || envelope.Time == DateTimeOffset.MinValue ? null : envelope.Time,
            TraceIdOf(envelope?.TraceParent),
            envelope is null ? null : VersionOf(envelope.DataJson),
            fields);
    }

    /// <summary>The trace id of a W3C traceparent ("00-{trace}-{span}-{flags}").</summary>
    public static string? TraceIdOf(string? traceParent)
    {
        var parts = traceParent?.Split('-');
        return parts is { Length: 4 } && parts[1].Length == 32 ? parts[1] : null;
    }

    /// <summary>Only the version is read from the event's data: every integration event carries one.</summary>
    private static long? VersionOf(string dataJson)
    {
        try
        {
            using var document = JsonDocument.Parse(dataJson);
            if (!document.RootElement.TryGetProperty("version", out var version))
                return null;
            return version.ValueKind switch
            {
                JsonValueKind.Number when version.TryGetInt64(out var number) => number,
                JsonValueKind.String when long.TryParse(version.GetString(), out var text) => text,
                _ => null,
            };
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
