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
}
