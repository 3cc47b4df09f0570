using Disputes.EventBus;
using Disputes.Procedure;
using Disputes.V1.Events;
using Google.Protobuf;
using Google.Protobuf.Reflection;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Disputes.UnitTests;

/// <summary>The bus knows no dispute: topics, types and keys come from the catalog it is given.</summary>
public class EventCatalogTests
{
    private sealed class RenamingCatalog : IEventCatalog
    {
        public string TopicOf(MessageDescriptor descriptor) => "renamed-" + descriptor.Name;
        public string TypeOf(MessageDescriptor descriptor) => "test." + descriptor.Name;
        public string? PartitionKeyOf(IMessage message) => "key-of-" + message.Descriptor.Name;
    }

    [Fact]
    public void The_event_bus_does_not_reference_the_contracts()
    {
        var references = typeof(IEventPublisher).Assembly.GetReferencedAssemblies().Select(a => a.Name);
        Assert.DoesNotContain("Disputes.Contracts", references);
    }

    [Fact]
    public void Envelopes_take_topic_type_and_key_from_the_catalog_given()
    {
        var factory = new IntegrationEventFactory(Options.Create(new EventBusOptions { AppId = "challenge" }), TimeProvider.System, new RenamingCatalog());

        var envelope = factory.Create(new ChallengeRaised { Challenge = "challenges/01J" });

        Assert.Equal(("renamed-ChallengeRaised", "test.ChallengeRaised", "key-of-ChallengeRaised"), (envelope.Topic, envelope.Type, envelope.DisputeId));
    }

    [Fact]
    public void Subscriptions_take_their_topic_from_the_registered_catalog()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["EventBus:AppId"] = "records" }).Build();
        var services = new ServiceCollection().AddLogging().AddInMemoryEventBus(configuration, new RenamingCatalog());
        services.AddEventHandler<ChallengeRaised, InMemoryEventBusTests.RecordingHandler>();
        using var provider = services.BuildServiceProvider();

        var subscription = Assert.Single(provider.GetRequiredService<EventSubscriptions>().All);

        Assert.Equal(("renamed-ChallengeRaised", "renamed-ChallengeRaised-deadletter"), (subscription.Topic, subscription.DeadLetterTopic));
    }

    [Fact]
    public void The_catalog_of_events_proto_names_topic_type_and_dispute_as_the_contracts_do()
    {
        var raised = new ChallengeRaised { Challenge = "challenges/01J" };

        Assert.Equal(("challenge-raised", "disputes.v1.ChallengeRaised", "01J"),
            (IntegrationEvents.Catalog.TopicOf(ChallengeRaised.Descriptor), IntegrationEvents.Catalog.TypeOf(ChallengeRaised.Descriptor), IntegrationEvents.Catalog.PartitionKeyOf(raised)));
    }
}
