using Disputes.Procedure;
using Disputes.ServiceDefaults;

namespace Disputes.UnitTests;

/// <summary>What depends on what among the building blocks (docs/architecture.md).</summary>
public class BuildingBlocksTests
{
    [Theory]
    [InlineData("Disputes.EventBus.Redis")]
    [InlineData("Disputes.EventBus.Dapr")]
    [InlineData("Disputes.Outbox.Redis")]
    public void Service_defaults_hold_no_transport(string transport)
    {
        var references = typeof(ServiceDefaultsExtensions).Assembly.GetReferencedAssemblies().Select(a => a.Name);
        Assert.DoesNotContain(transport, references);
    }

    [Fact]
    public void The_outbox_does_not_depend_on_the_streams_transport()
    {
        var references = typeof(Disputes.Outbox.Redis.RedisOutbox).Assembly.GetReferencedAssemblies().Select(a => a.Name);
        Assert.DoesNotContain("Disputes.EventBus.Redis", references);
    }

    [Fact]
    public void The_pieces_that_know_disputes_are_in_one_project_above_service_defaults()
    {
        var procedure = typeof(IntegrationEvents).Assembly;
        Assert.All([typeof(DisputeAccess), typeof(DisputeRoles), typeof(DisputePartiesStore), typeof(DisputeTelemetry)],
            type => Assert.Same(procedure, type.Assembly));
        Assert.DoesNotContain(procedure.GetName().Name, typeof(ServiceDefaultsExtensions).Assembly.GetReferencedAssemblies().Select(a => a.Name));
    }
}
