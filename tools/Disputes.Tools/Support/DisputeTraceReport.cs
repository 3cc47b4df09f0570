using System.Text.Json.Serialization;

namespace Disputes.Tools.Support;

/// <summary>
/// One dispute end to end, as support may see it: ids, stages, states, kinds, times and trace ids,
/// never the narrative. Every record here is built field by field from what the services return.
/// </summary>
public sealed record DisputeTraceReport(
    string Challenge,
    DateTimeOffset Time,
    ChallengeOverview Overview,
    EscalationOverview? Escalation,
    IReadOnlyList<TimelineItem> Timeline,
    IReadOnlyList<BusEventOfDispute>? Bus,
    IReadOnlyList<string> Problems)
{
    /// <summary>The dispute's spans from the local spans files, when --spans was given: a tree per trace.</summary>
    public IReadOnlyList<TraceSpans>? Spans { get; init; }
}

public sealed record ChallengeOverview(
    string Stage,
    int ManagementTier,
    string State,
    long Version,
    DateTimeOffset? CreateTime,
    DateTimeOffset? UpdateTime,
    string? TraceId,
    string? TraceUrl,
    string? RaisingParty,
    string? ReceivingParty,
    string? IndependentChair);

public sealed record EscalationOverview(
    string Stage,
    int ManagementTier,
    string Policy,
    DateTimeOffset? AcknowledgementDueTime,
    DateTimeOffset? StageDueTime,
    DateTimeOffset? OverallDueTime,
    bool Overdue,
    IReadOnlyList<string> Breaches,
    bool IroNotificationRequired,
    IReadOnlyList<ResponsibleOverview> ResponsibleParties,
    string? IndependentChair,
    long ChallengeVersion,
    DateTimeOffset? UpdateTime);

public sealed record ResponsibleOverview(string Responsibility, string Party);

/// <summary>One thing that happened to the dispute, from the service that keeps it.</summary>
public sealed record TimelineItem(
    DateTimeOffset? Time,
    string Service,
    string Kind,
    string Name,
    string What,
    string? Stage,
    string? Actor,
    string? TraceId,
    string? TraceUrl,
    string? EventId,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)] long Sequence = 0);
