namespace Disputes.EventBus.Redis;

/// <summary>
/// Whether this app's consumer groups exist. The subscriber creates them at start-up, and the
/// app reports ready only after: an app is never taken into service before its groups would
/// keep what is published for it.
/// </summary>
public sealed class EventBusReadiness
{
    private volatile bool _groupsCreated;

    public bool ConsumerGroupsCreated => _groupsCreated;

    internal void MarkConsumerGroupsCreated() => _groupsCreated = true;
}
