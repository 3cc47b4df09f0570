using System.Collections.Concurrent;

namespace Disputes.EventBus;

/// <summary>Remembers which event ids this app has handled, so a redelivery is not handled twice.</summary>
public interface IProcessedEvents
{
    Task<bool> WasProcessedAsync(string eventId);

    Task MarkProcessedAsync(string eventId);
}

public sealed class InMemoryProcessedEvents : IProcessedEvents
{
    private readonly ConcurrentDictionary<string, byte> _ids = new(StringComparer.Ordinal);

    public Task<bool> WasProcessedAsync(string eventId) => Task.FromResult(_ids.ContainsKey(eventId));

    public Task MarkProcessedAsync(string eventId)
    {
        _ids.TryAdd(eventId, 0);
        return Task.CompletedTask;
    }
}
