namespace Disputes.EventBus;

/// <summary>
/// Thrown by a handler for an event it can never apply, such as one that contradicts what the
/// consumer already holds. The delivery is not retried: the event is dead-lettered, logged as
/// an error and counted (<c>disputes.events.refused</c>), for a person to look at.
/// </summary>
public class UnprocessableEventException(string message) : Exception(message)
{
    /// <summary>A short, stable reason for the metric's <c>error.type</c> tag.</summary>
    public virtual string Reason => GetType().Name;
}
