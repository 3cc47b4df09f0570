using Disputes.Challenge.Storage;
using Disputes.EventBus;
using Disputes.Procedure;
using Disputes.V1.Events;

namespace Disputes.Challenge.Events;

/// <summary>Escalates automatically when the policy says so, only if the challenge still stands where the timer was set.</summary>
public sealed partial class AutoEscalationDueHandler(ChallengeUpdates updates, ChallengeStore store, IntegrationEventFactory events,
    TimeProvider timeProvider, ILogger<AutoEscalationDueHandler> logger) : IIntegrationEventHandler<AutoEscalationDue>
{
    public Task HandleAsync(AutoEscalationDue @event, EventContext context, CancellationToken cancellationToken) =>
        updates.ApplyAsync(@event, async challenge =>
        {
            var change = challenge.AutoEscalate(@event.Stage, @event.ManagementTier, @event.ChallengeVersion, @event.TimerId,
                timeProvider.GetUtcNow(), DisputeTelemetry.CurrentTraceId());
            if (change is null)
            {
                LogIgnored(challenge.Name, @event.TimerId, challenge.Version);
                return null;
            }
            var outcome = await store.SaveAsync(challenge.Version, change.Challenge, request: null, events.Create(change.Event));
            return outcome is WriteOutcome.Written;
        });

    [LoggerMessage(LogLevel.Debug, "{Challenge}: auto-escalation timer {Timer} no longer matches version {Version}; ignored")]
    private partial void LogIgnored(string challenge, string timer, long version);
}
