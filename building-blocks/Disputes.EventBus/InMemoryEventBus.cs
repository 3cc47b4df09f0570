using System.Collections.Concurrent;
using Microsoft.Extensions.Options;

namespace Disputes.EventBus;

/// <summary>
/// Unit-test transport: publishing delivers straight to this process's dispatcher with
/// the same retry and dead-letter rules as the real transports.
/// </summary>
public sealed class InMemoryEventBus(EventDispatcher dispatcher, IOptions<EventBusOptions> options, TimeProvider timeProvider) : IEventPublisher
{
    private readonly ConcurrentQueue<EventEnvelope> _published = new();
    private readonly ConcurrentQueue<EventEnvelope> _deadLetters = new();

    public string System => "inmemory";

    public IReadOnlyCollection<EventEnvelope> Published => _published;

    public IReadOnlyCollection<EventEnvelope> DeadLetters => _deadLetters;

    public async Task PublishAsync(EventEnvelope envelope, CancellationToken cancellationToken)
    {
        _published.Enqueue(envelope);
        for (var attempt = 1; ; attempt++)
        {
            var outcome = await dispatcher.DispatchAsync(envelope, System, cancellationToken);
            if (outcome == DispatchOutcome.Success)
                return;
            if (outcome == DispatchOutcome.Drop || attempt >= options.Value.MaxDeliveryAttempts)
            {
                _deadLetters.Enqueue(envelope with { Topic = DeadLetterTopics.Of(envelope.Topic) });
                return;
            }
            await Task.Delay(options.Value.BackoffFor(attempt), timeProvider, cancellationToken);
        }
    }
}
