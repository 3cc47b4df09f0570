using Disputes.Procedure;

namespace Disputes.Tools.Support;

/// <summary>The topics of the suite, read from the (disputes.v1.topic) option of each event in events.proto.</summary>
public static class BusTopics
{
    public static IReadOnlyList<(string Topic, string EventType)> All { get; } = IntegrationEvents.All
        .Select(descriptor => (IntegrationEvents.TopicOf(descriptor), IntegrationEvents.TypeOf(descriptor)))
        .OrderBy(topic => topic.Item1, StringComparer.Ordinal)
        .ToArray();

    public static bool IsKnown(string topic) => All.Any(t => t.Topic == topic);

    public static string Known => string.Join(", ", All.Select(t => t.Topic));

    /// <summary>Outbox streams are "{app}:{pNN}:outbox", one per partition; their dead letters "{stream}:deadletter".</summary>
    public const string OutboxPattern = "*:outbox*";

    public const string OutboxDeadLetterSuffix = ":deadletter";

    public static string AppOfKey(string key) => key.IndexOf(':') is > 0 and var colon ? key[..colon] : key;
}
