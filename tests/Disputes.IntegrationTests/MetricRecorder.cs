using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Disputes.EventBus;

namespace Disputes.IntegrationTests;

/// <summary>Listens to the bus's meter (or the meters named) and keeps every measurement, with its tags.</summary>
public sealed class MetricRecorder : IDisposable
{
    private readonly MeterListener _listener = new();

    public MetricRecorder(params string[] meters)
    {
        var names = meters.Length > 0 ? meters : [EventBusMetrics.MeterName];
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (names.Contains(instrument.Meter.Name))
                listener.EnableMeasurementEvents(instrument);
        };
        _listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) => Keep(instrument, value, tags));
        _listener.SetMeasurementEventCallback<double>((instrument, value, tags, _) => Keep(instrument, value, tags));
        _listener.Start();
    }

    public ConcurrentQueue<(string Name, double Value, Dictionary<string, string?> Tags)> Measurements { get; } = new();

    /// <summary>Asks the observable instruments (gauges) for their values now.</summary>
    public void Observe() => _listener.RecordObservableInstruments();

    public double Sum(string name, string tag, string value) =>
        Measurements.Where(m => m.Name == name && m.Tags.GetValueOrDefault(tag) == value).Sum(m => m.Value);

    /// <summary>The latest value of an instrument whose tags include all of <paramref name="tags"/>; null when none was seen.</summary>
    public double? Last(string name, params (string Key, string Value)[] tags) =>
        Measurements.LastOrDefault(m => m.Name == name && tags.All(t => m.Tags.GetValueOrDefault(t.Key) == t.Value)) is { Name: not null } found
            ? found.Value : null;

    public void Dispose() => _listener.Dispose();

    private void Keep<T>(Instrument instrument, T value, ReadOnlySpan<KeyValuePair<string, object?>> tags) where T : struct
    {
        var copied = new Dictionary<string, string?>();
        foreach (var tag in tags)
            copied[tag.Key] = tag.Value?.ToString();
        Measurements.Enqueue((instrument.Name, Convert.ToDouble(value, System.Globalization.CultureInfo.InvariantCulture), copied));
    }
}
