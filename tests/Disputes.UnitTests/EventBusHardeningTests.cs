using Disputes.EventBus;
using Disputes.Procedure;
using Disputes.V1.Events;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace Disputes.UnitTests;

/// <summary>Issue 6 at the bus's port: refused events, the handler deadline, backoff bounds, applied versions.</summary>
public class EventBusHardeningTests
{
    [Fact]
    public async Task An_event_a_handler_refuses_is_dead_lettered_after_one_attempt()
    {
        await using var services = Build(new RefusingHandler());
        var bus = services.GetRequiredService<InMemoryEventBus>();

        await bus.PublishAsync(services.GetRequiredService<IntegrationEventFactory>().Create(TestEvents.Raised()), CancellationToken.None);

        Assert.Equal(1, services.GetRequiredService<RefusingHandler>().Attempts);
        Assert.Equal("challenge-raised-deadletter", Assert.Single(bus.DeadLetters).Topic);
    }

    [Theory]
    [InlineData("00:01:00", "00:01:00")]
    [InlineData("00:01:00", "00:02:00")]
    public void A_handler_timeout_not_below_the_processing_timeout_is_refused_at_start(string processingTimeout, string handlerTimeout)
    {
        using var services = Build(new RefusingHandler(), new Dictionary<string, string?>
        {
            ["EventBus:ProcessingTimeout"] = processingTimeout,
            ["EventBus:HandlerTimeout"] = handlerTimeout,
        });

        var refused = Assert.Throws<OptionsValidationException>(() => services.GetRequiredService<IOptions<EventBusOptions>>().Value);
        Assert.Contains("HandlerTimeout", refused.Message);
    }

    [Fact]
    public void The_handler_timeout_defaults_to_half_the_processing_timeout()
    {
        var options = new EventBusOptions { ProcessingTimeout = TimeSpan.FromMinutes(1) };

        Assert.Equal(TimeSpan.FromSeconds(30), options.EffectiveHandlerTimeout);
    }

    [Fact]
    public void Backoff_doubles_up_to_its_bound()
    {
        var options = new EventBusOptions { RetryBackoff = TimeSpan.FromMilliseconds(200), MaxRetryBackoff = TimeSpan.FromSeconds(1) };

        Assert.Equal([200, 400, 800, 1000, 1000], new[] { 1, 2, 3, 4, 40 }.Select(n => options.BackoffFor(n).TotalMilliseconds));
    }

    [Fact]
    public async Task Applied_versions_advance_only_forward()
    {
        var versions = new InMemoryAppliedVersions();

        Assert.True(await versions.TryAdvanceAsync("c-1", 2));
        Assert.False(await versions.TryAdvanceAsync("c-1", 2));
        Assert.False(await versions.TryAdvanceAsync("c-1", 1));
        Assert.True(await versions.TryAdvanceAsync("c-1", 5));
        Assert.Equal(5, await versions.GetAsync("c-1"));
        Assert.Equal(0, await versions.GetAsync("c-2"));
    }

    private static ServiceProvider Build(RefusingHandler handler, Dictionary<string, string?>? settings = null)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["EventBus:AppId"] = "records",
            ["EventBus:MaxDeliveryAttempts"] = "5",
            ["EventBus:RetryBackoff"] = "00:00:00",
        }).AddInMemoryCollection(settings ?? []).Build();
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddSingleton<TimeProvider>(new FakeTimeProvider());
        services.AddInMemoryEventBus(configuration, IntegrationEvents.Catalog);
        services.AddEventHandler<ChallengeRaised, RefusingHandler>();
        services.AddSingleton(handler);
        return services.BuildServiceProvider();
    }

    public sealed class RefusingHandler : IIntegrationEventHandler<ChallengeRaised>
    {
        public int Attempts { get; private set; }

        public Task HandleAsync(ChallengeRaised @event, EventContext context, CancellationToken cancellationToken)
        {
            Attempts++;
            throw new UnprocessableEventException("this challenge already has other parties");
        }
    }
}
