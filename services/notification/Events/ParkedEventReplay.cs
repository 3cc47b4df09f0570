using Disputes.EventBus;
using Disputes.Notification.Storage;

namespace Disputes.Notification.Events;

/// <summary>Hands the events parked for a challenge to their handlers again, once its raise is known.</summary>
public sealed partial class ParkedEventReplay(
    ParkedEvents parked,
    EventSubscriptions subscriptions,
    IServiceScopeFactory scopes,
    ILogger<ParkedEventReplay> logger)
{
    public async Task ReplayAsync(string challengeId, CancellationToken cancellationToken)
    {
        foreach (var (raw, waiting) in await parked.ListAsync(challengeId))
        {
            var subscription = subscriptions.All.FirstOrDefault(s => s.EventType == waiting.Type);
            if (subscription is null)
            {
                LogNoHandler(waiting.EventId, waiting.Type);
                await parked.RemoveAsync(challengeId, raw);
                continue;
            }
            await using var scope = scopes.CreateAsyncScope();
            // Handlers are idempotent per event id: a replay after a crash writes nothing twice.
            await subscription.InvokeAsync(scope.ServiceProvider, subscription.Parse(waiting.DataJson), ParkedEvents.ContextOf(waiting, challengeId), cancellationToken);
            await parked.RemoveAsync(challengeId, raw);
            LogReplayed(waiting.EventId, waiting.Type, challengeId);
        }
    }

    [LoggerMessage(LogLevel.Warning, "Parked event {EventId} ({EventType}) has no handler; discarded")]
    private partial void LogNoHandler(string eventId, string eventType);

    [LoggerMessage(LogLevel.Debug, "Replayed parked event {EventId} ({EventType}) of challenge {Challenge}")]
    private partial void LogReplayed(string eventId, string eventType, string challenge);
}
