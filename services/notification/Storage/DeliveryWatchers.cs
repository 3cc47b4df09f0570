using System.Collections.Concurrent;
using Disputes.Outbox.Redis;

namespace Disputes.Notification.Storage;

/// <summary>
/// The watch streams open in this process, each with a wake-up of its own (so no watcher can take
/// another's), woken when this process writes a delivery to its agency's stream. Deliveries
/// another replica writes are found by the watch's safety poll.
/// </summary>
public sealed class DeliveryWatchers
{
    private readonly ConcurrentDictionary<OutboxSignal, string> _open = new();

    public int Count => _open.Count;

    public Watch Open(string agencyId)
    {
        var signal = new OutboxSignal();
        _open[signal] = agencyId;
        return new Watch(this, signal);
    }

    public void Notify(IReadOnlyCollection<string> agencyIds)
    {
        if (agencyIds.Count == 0)
            return;
        foreach (var (signal, agencyId) in _open)
        {
            if (agencyIds.Contains(agencyId))
                signal.Notify();
        }
    }

    public sealed class Watch(DeliveryWatchers watchers, OutboxSignal signal) : IDisposable
    {
        public OutboxSignal Written => signal;

        public void Dispose() => watchers._open.TryRemove(signal, out _);
    }
}
