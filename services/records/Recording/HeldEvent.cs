using System.Text.Json;
using Disputes.EventBus;
using Disputes.Procedure;
using Google.Protobuf;

namespace Disputes.Records.Recording;

/// <summary>An event held back until its predecessor is recorded, kept as it arrived.</summary>
public sealed record HeldEvent(string Type, string EventId, string TraceId, DateTimeOffset Time, string Data)
{
    private static readonly JsonFormatter Formatter = new(JsonFormatter.Settings.Default);
    private static readonly JsonParser Parser = new(JsonParser.Settings.Default.WithIgnoreUnknownFields(true));

    public static HeldEvent Of(IMessage @event, EventContext context, string traceId) =>
        new(@event.Descriptor.FullName, context.EventId, traceId, context.Time, Formatter.Format(@event));

    public string ToJson() => JsonSerializer.Serialize(this);

    public static HeldEvent? FromJson(string json)
    {
        try
        {
            return JsonSerializer.Deserialize<HeldEvent>(json);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>The event again, or null when its type is no integration event of this API.</summary>
    public IMessage? Message()
    {
        var descriptor = IntegrationEvents.All.FirstOrDefault(d => d.FullName == Type);
        if (descriptor is null)
            return null;
        try
        {
            return Parser.Parse(Data, descriptor);
        }
        catch (InvalidProtocolBufferException)
        {
            return null;
        }
    }
}
