using Disputes.EventBus;
using Disputes.Procedure;
using Disputes.V1.Events;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace Disputes.UnitTests;

/// <summary>
/// A handler may queue the event's processed mark in its own transaction; the dispatcher then
/// spends no round trip of its own on it, unless that transaction was refused.
/// </summary>
public sealed class ProcessedMarkInHandlerTransactionTests
{
    [Fact]
    public async Task A_mark_the_handler_committed_is_not_written_again()
    {
        var (dispatcher, marks, _) = Build(_ => Task.CompletedTask);

        var outcome = await dispatcher.DispatchAsync(Envelope(dispatcher), "redis", CancellationToken.None);

        Assert.Equal(DispatchOutcome.Success, outcome);
        Assert.Equal(0, marks.Marked);
    }

    [Fact]
    public async Task A_mark_in_a_refused_transaction_is_written_by_the_dispatcher()
    {
        var (dispatcher, marks, _) = Build(_ => Task.FromCanceled(new CancellationToken(canceled: true)));

        var outcome = await dispatcher.DispatchAsync(Envelope(dispatcher), "redis", CancellationToken.None);

        Assert.Equal(DispatchOutcome.Success, outcome);
        Assert.Equal(1, marks.Marked);
    }

    [Fact]
    public async Task Without_a_mark_of_its_own_the_dispatcher_writes_it()
    {
        var (dispatcher, marks, _) = Build(null);

        await dispatcher.DispatchAsync(Envelope(dispatcher), "redis", CancellationToken.None);

        Assert.Equal(1, marks.Marked);
    }

    private static EventEnvelope Envelope(EventDispatcher _) =>
        new IntegrationEventFactory(Microsoft.Extensions.Options.Options.Create(new EventBusOptions { AppId = "challenge" }), TimeProvider.System, IntegrationEvents.Catalog)
            .Create(TestEvents.Raised());

    private static (EventDispatcher Dispatcher, CountingMarks Marks, ServiceProvider Services) Build(Func<EventContext, Task>? markWrite)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["EventBus:AppId"] = "notification",
        }).Build();
        var marks = new CountingMarks();
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddSingleton<TimeProvider>(new FakeTimeProvider());
        services.AddSingleton<IProcessedEvents>(marks);
        services.AddInMemoryEventBus(configuration, IntegrationEvents.Catalog);
        services.AddEventHandler<ChallengeRaised, MarkingHandler>();
        services.AddSingleton(new MarkingHandler(markWrite));
        var provider = services.BuildServiceProvider();
        return (provider.GetRequiredService<EventDispatcher>(), marks, provider);
    }

    public sealed class MarkingHandler(Func<EventContext, Task>? markWrite) : IIntegrationEventHandler<ChallengeRaised>
    {
        public Task HandleAsync(ChallengeRaised @event, EventContext context, CancellationToken cancellationToken)
        {
            if (markWrite is not null)
                context.MarkProcessedWith(markWrite(context));
            return Task.CompletedTask;
        }
    }

    public sealed class CountingMarks : IProcessedEvents
    {
        public int Marked { get; private set; }

        public Task<bool> WasProcessedAsync(string eventId, string? disputeId) => Task.FromResult(false);

        public Task MarkProcessedAsync(string eventId, string? disputeId)
        {
            Marked++;
            return Task.CompletedTask;
        }
    }
}
