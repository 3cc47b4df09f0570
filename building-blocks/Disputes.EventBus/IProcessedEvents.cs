using System.Collections.Concurrent;

namespace Disputes.EventBus;

/// <summary>
/// Remembers which event ids this app has handled, so a redelivery is not handled twice. The
/// event's dispute (the envelope's <c>disputeid</c>, null when it names none) says where a store
/// keeps the mark: beside the dispute's own data, so a handler can write both in one step.
/// </summary>
public interface IProcessedEvents
{
    Task<bool> WasProcessedAsync(string eventId, string? disputeId);

    Task MarkProcessedAsync(string eventId, string? disputeId);
}

public sealed class InMemoryProcessedEvents : IProcessedEvents
{
    private readonly ConcurrentDictionary<string, byte> _ids = new(StringComparer.Ordinal);

    public Task<bool> WasProcessedAsync(string eventId, string? disputeId) => Task.FromResult(_ids.ContainsKey(eventId));

    public Task MarkProcessedAsync(string eventId, string? disputeId)
    {
        _ids.TryAdd(eventId, 0);
        return Task.CompletedTask;
    }
}
