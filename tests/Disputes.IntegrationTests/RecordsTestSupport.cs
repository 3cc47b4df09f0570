using Disputes.EventBus;
using Disputes.Procedure;
using Disputes.Records.Storage;
using Disputes.V1;
using Google.Protobuf;
using Microsoft.Extensions.DependencyInjection;

namespace Disputes.IntegrationTests;

public static class RecordsTestSupport
{
    /// <summary>Hands an event to the records service's own handler for it, as the bus would.</summary>
    public static async Task DeliverAsync(this RecordsHost host, IMessage @event, EventContext context)
    {
        var subscription = host.Services.GetRequiredService<EventSubscriptions>().ForTopic(IntegrationEvents.TopicOf(@event.Descriptor))
            ?? throw new InvalidOperationException($"records does not subscribe to {@event.Descriptor.Name}");
        await using var scope = host.Services.CreateAsyncScope();
        await subscription.InvokeAsync(scope.ServiceProvider, @event, context, CancellationToken.None);
    }

    public static async Task DeliverAllAsync(this RecordsHost host, DisputeStory story)
    {
        foreach (var (@event, context) in story.Events)
            await host.DeliverAsync(@event, context);
    }

    public static Task<IReadOnlyList<RecordEntry>> EntriesAsync(this RecordsHost host, string challengeId) =>
        host.Store.ListAsync(challengeId);

    public static string NewChallengeId() => Disputes.ServiceDefaults.Grpc.SortableId.New(TimeProvider.System);
}
