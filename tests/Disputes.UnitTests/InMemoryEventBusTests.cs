using Disputes.EventBus;
using Disputes.Procedure;
using Disputes.V1.Events;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace Disputes.UnitTests;

public class InMemoryEventBusTests
{
    [Fact]
    public async Task A_published_event_reaches_its_handler_with_its_context()
    {
        await using var services = Build(failuresBeforeSuccess: 0);
        var envelope = Envelope(services);

        await services.GetRequiredService<IEventPublisher>().PublishAsync(envelope, CancellationToken.None);

        var handled = Assert.Single(services.GetRequiredService<RecordingHandler>().Handled);
        Assert.Equal("challenges/01JD0000000000000000000000", handled.Event.Challenge);
        Assert.Equal(envelope.Id, handled.Context.EventId);
        Assert.Equal("0af7651916cd43dd8448eb211c80319c", handled.Context.TraceId);
    }

    [Fact]
    public async Task The_same_event_delivered_twice_is_handled_once()
    {
        await using var services = Build(failuresBeforeSuccess: 0);
        var envelope = Envelope(services);
        var bus = services.GetRequiredService<IEventPublisher>();

        await bus.PublishAsync(envelope, CancellationToken.None);
        await bus.PublishAsync(envelope, CancellationToken.None);

        Assert.Single(services.GetRequiredService<RecordingHandler>().Handled);
    }

    [Fact]
    public async Task A_failing_handler_is_retried_then_the_event_is_dead_lettered()
    {
        await using var services = Build(failuresBeforeSuccess: int.MaxValue);
        var bus = services.GetRequiredService<InMemoryEventBus>();

        await bus.PublishAsync(Envelope(services), CancellationToken.None);

        Assert.Equal(3, services.GetRequiredService<RecordingHandler>().Attempts);
        Assert.Equal("challenge-raised-deadletter", Assert.Single(bus.DeadLetters).Topic);
    }

    [Fact]
    public async Task A_handler_that_recovers_within_the_attempts_is_not_dead_lettered()
    {
        await using var services = Build(failuresBeforeSuccess: 2);
        var bus = services.GetRequiredService<InMemoryEventBus>();

        await bus.PublishAsync(Envelope(services), CancellationToken.None);

        Assert.Single(services.GetRequiredService<RecordingHandler>().Handled);
        Assert.Empty(bus.DeadLetters);
    }

    [Fact]
    public async Task An_event_type_nobody_handles_is_dropped_to_the_dead_letter_topic()
    {
        await using var services = Build(failuresBeforeSuccess: 0);
        var bus = services.GetRequiredService<InMemoryEventBus>();

        await bus.PublishAsync(Envelope(services) with { Type = "disputes.v1.SomethingElse" }, CancellationToken.None);

        Assert.Equal(0, services.GetRequiredService<RecordingHandler>().Attempts);
        Assert.Single(bus.DeadLetters);
    }

    private static EventEnvelope Envelope(IServiceProvider services) =>
        services.GetRequiredService<IntegrationEventFactory>().Create(TestEvents.Raised())
            with { TraceParent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01" };

    private static ServiceProvider Build(int failuresBeforeSuccess)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["EventBus:AppId"] = "records",
            ["EventBus:MaxDeliveryAttempts"] = "3",
            ["EventBus:RetryBackoff"] = "00:00:00",
        }).Build();
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddSingleton<TimeProvider>(new FakeTimeProvider());
        services.AddInMemoryEventBus(configuration, IntegrationEvents.Catalog);
        services.AddEventHandler<ChallengeRaised, RecordingHandler>();
        // One handler instance for the test to inspect.
        services.AddSingleton(new RecordingHandler(failuresBeforeSuccess));
        return services.BuildServiceProvider();
    }

    public sealed class RecordingHandler(int failuresBeforeSuccess) : IIntegrationEventHandler<ChallengeRaised>
    {
        public List<(ChallengeRaised Event, EventContext Context)> Handled { get; } = [];

        public int Attempts { get; private set; }

        public Task HandleAsync(ChallengeRaised @event, EventContext context, CancellationToken cancellationToken)
        {
            if (++Attempts <= failuresBeforeSuccess)
                throw new InvalidOperationException("the store is down");
            Handled.Add((@event, context));
            return Task.CompletedTask;
        }
    }
}
