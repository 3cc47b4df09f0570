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

    private static readonly Histogram<double> ProcessDuration = Meter.CreateHistogram<double>(
        "messaging.process.duration", "s", "Time a handler took with one event (error.type set when it failed).",
        advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10] });

    private static readonly Counter<long> HandlerFailures = Meter.CreateCounter<long>(
        "disputes.events.handler_failures", "{attempt}", "Handler attempts that threw or refused the event.");

    private static readonly Dictionary<string, double> OutboxAges = new(StringComparer.Ordinal);

    private static readonly Dictionary<(string Topic, string Group), ConsumerSample> ConsumerSamples = new();

    static EventBusMetrics()
    {
        Meter.CreateObservableGauge("disputes.outbox.age", ObserveOutboxAges, "s",
            "Age of the oldest entry still in the outbox (0 when it is empty).");
        Meter.CreateObservableGauge("disputes.consumer.lag", () => ObserveConsumers(s => s.Lag), "{event}",
            "Entries of the topic not yet delivered to the consumer group (last sample).");
        Meter.CreateObservableGauge("disputes.consumer.pending", () => ObserveConsumers(s => s.Pending), "{event}",
            "Entries delivered to the consumer group and not yet acknowledged (last sample).");
        Meter.CreateObservableGauge("disputes.consumer.oldest_pending.age", () => ObserveConsumers(s => s.OldestPendingAge.TotalSeconds), "s",
            "Age of the oldest entry pending in the consumer group, 0 when none (last sample).");
        Meter.CreateObservableGauge("disputes.deadletter.count", () => ObserveConsumers(s => s.DeadLetters), "{event}",
            "Entries in the topic's dead-letter topic (last sample).");
    }

    public static void EventRefused(string topic, string reason) =>
        Refused.Add(1, new TagList { { "messaging.destination.name", topic }, { "error.type", reason } });

    public static void EventDeadLettered(string topic, string reason) =>
        DeadLettered.Add(1, new TagList { { "messaging.destination.name", topic }, { "error.type", reason } });

    public static void Published(string outbox) => OutboxPublished.Add(1, new KeyValuePair<string, object?>("disputes.outbox", outbox));

    public static void PublishFailed(string outbox) => OutboxPublishFailed.Add(1, new KeyValuePair<string, object?>("disputes.outbox", outbox));

    public static void OutboxEntryDeadLettered(string outbox) => OutboxDeadLettered.Add(1, new KeyValuePair<string, object?>("disputes.outbox", outbox));

    /// <summary>How long a handler took with one event; a failure also counts in the failures counter.</summary>
    public static void HandlerDuration(string topic, string app, TimeSpan elapsed, string? errorType = null)
    {
        var tags = new TagList { { "messaging.destination.name", topic }, { "messaging.consumer.group.name", app } };
        if (errorType is not null)
        {
            tags.Add("error.type", errorType);
            HandlerFailures.Add(1, tags);
        }
        ProcessDuration.Record(elapsed.TotalSeconds, tags);
    }

    /// <summary>Keeps the latest sample of a topic's consumer group; the consumer gauges report it.</summary>
    public static void ConsumerSampled(string topic, string group, ConsumerSample sample)
    {
        lock (ConsumerSamples)
            ConsumerSamples[(topic, group)] = sample;
    }

    /// <summary>Records the age the relay last measured for its outbox; the gauge reports it.</summary>
    public static void OutboxAge(string outbox, TimeSpan age)
    {
        lock (OutboxAges)
            OutboxAges[outbox] = Math.Max(0, age.TotalSeconds);
    }

    private static IEnumerable<Measurement<double>> ObserveConsumers(Func<ConsumerSample, double?> value)
    {
        lock (ConsumerSamples)
            return ConsumerSamples.Where(s => value(s.Value) is not null).Select(s => new Measurement<double>(value(s.Value)!.Value,
                new KeyValuePair<string, object?>("messaging.destination.name", s.Key.Topic),
                new KeyValuePair<string, object?>("messaging.consumer.group.name", s.Key.Group))).ToArray();
    }

    private static IEnumerable<Measurement<double>> ObserveOutboxAges()
    {
        lock (OutboxAges)
            return OutboxAges.Select(a => new Measurement<double>(a.Value, new KeyValuePair<string, object?>("disputes.outbox", a.Key))).ToArray();
    }
}

/// <summary>One reading of a topic for one consumer group.</summary>
/// <remarks><see cref="DeadLetters"/> is null when the app may not read its dead-letter topics.</remarks>
public readonly record struct ConsumerSample(long Lag, long Pending, TimeSpan OldestPendingAge, long? DeadLetters);
