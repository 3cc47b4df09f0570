using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Disputes.EventBus;

/// <summary>The bus's counters and gauges, on the meter the suite's OpenTelemetry setup exports (Disputes.*).</summary>
public static class EventBusMetrics
{
    public const string MeterName = "Disputes.EventBus";

    private static readonly Meter Meter = new(MeterName);

    private static readonly Counter<long> Refused = Meter.CreateCounter<long>(
        "disputes.events.refused", "{event}", "Events a handler refused as contradicting what it holds; dead-lettered, never retried.");

    private static readonly Counter<long> DeadLettered = Meter.CreateCounter<long>(
        "disputes.events.dead_lettered", "{event}", "Topic entries moved to their dead-letter topic.");

    private static readonly Counter<long> OutboxPublished = Meter.CreateCounter<long>(
        "disputes.outbox.published", "{event}", "Outbox entries published and removed.");

    private static readonly Counter<long> OutboxPublishFailed = Meter.CreateCounter<long>(
        "disputes.outbox.publish_failures", "{attempt}", "Failed publish attempts of outbox entries.");

    private static readonly Counter<long> OutboxDeadLettered = Meter.CreateCounter<long>(
        "disputes.outbox.dead_lettered", "{event}", "Outbox entries moved to the outbox's dead-letter stream.");

    private static readonly Dictionary<string, double> OutboxAges = new(StringComparer.Ordinal);

    static EventBusMetrics() =>
        Meter.CreateObservableGauge("disputes.outbox.age", ObserveOutboxAges, "s",
            "Age of the oldest entry still in the outbox (0 when it is empty).");

    public static void EventRefused(string topic, string reason) =>
        Refused.Add(1, new TagList { { "messaging.destination.name", topic }, { "error.type", reason } });

    public static void EventDeadLettered(string topic, string reason) =>
        DeadLettered.Add(1, new TagList { { "messaging.destination.name", topic }, { "error.type", reason } });

    public static void Published(string outbox) => OutboxPublished.Add(1, new KeyValuePair<string, object?>("disputes.outbox", outbox));

    public static void PublishFailed(string outbox) => OutboxPublishFailed.Add(1, new KeyValuePair<string, object?>("disputes.outbox", outbox));

    public static void OutboxEntryDeadLettered(string outbox) => OutboxDeadLettered.Add(1, new KeyValuePair<string, object?>("disputes.outbox", outbox));

    /// <summary>Records the age the relay last measured for its outbox; the gauge reports it.</summary>
    public static void OutboxAge(string outbox, TimeSpan age)
    {
        lock (OutboxAges)
            OutboxAges[outbox] = Math.Max(0, age.TotalSeconds);
    }

    private static IEnumerable<Measurement<double>> ObserveOutboxAges()
    {
        lock (OutboxAges)
            return OutboxAges.Select(a => new Measurement<double>(a.Value, new KeyValuePair<string, object?>("disputes.outbox", a.Key))).ToArray();
    }
}
