using Disputes.Escalation.Domain;
using Disputes.Escalation.Storage;
using Disputes.EventBus;
using Disputes.V1.Events;

namespace Disputes.Escalation.Events;

/// <summary>Opens the challenge's escalation at stage 1 with due times from the policy in force.</summary>
public sealed partial class ChallengeRaisedHandler(EscalationStore store, EscalationPlanner planner, ILogger<ChallengeRaisedHandler> logger)
    : IIntegrationEventHandler<ChallengeRaised>
{
    public async Task HandleAsync(ChallengeRaised @event, EventContext context, CancellationToken cancellationToken)
    {
        var escalation = planner.Open(@event, TimescalePolicies.Default);
        if (await store.OpenAsync(IntegrationEvents.DisputeIdOf(@event)!, escalation))
            LogOpened(@event.Challenge, escalation.Policy, escalation.StageDueTime.ToDateTimeOffset());
    }

    [LoggerMessage(LogLevel.Information, "Escalation of {Challenge} opened at stage 1 under {Policy}; stage due {StageDue:o}")]
    private partial void LogOpened(string challenge, string policy, DateTimeOffset stageDue);
}
