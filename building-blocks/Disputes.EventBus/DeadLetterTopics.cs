namespace Disputes.EventBus;

/// <summary>Where an event goes after its last delivery attempt: <c>{topic}-deadletter</c>, as Dapr names it.</summary>
public static class DeadLetterTopics
{
    public const string Suffix = "-deadletter";

    public static string Of(string topic) => topic + Suffix;
}
