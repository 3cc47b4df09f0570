using Disputes.V1;
using Disputes.V1.Events;
using Google.Protobuf;

namespace Disputes.Records.Domain;

/// <summary>
/// What the record knows of a dispute from the events it has minuted: the challenge version
/// reached, the current stage and tier (minutes need them), the appointed chair (who alone
/// may record stage 4 minutes), and the facts the escalation log counts.
/// </summary>
public sealed record DisputeRecord
{
    public long ChallengeVersion { get; init; }
    public Stage Stage { get; init; }
    public int ManagementTier { get; init; }
    public Stage HighestStage { get; init; }
    public ChallengeState State { get; init; }
    public string RaisingAgencyId { get; init; } = "";
    public string ReceivingAgencyId { get; init; } = "";
    public string LocalAuthorityId { get; init; } = "";
    public string IroProfessionalId { get; init; } = "";
    public Category Category { get; init; }
    public string ChairProfessionalId { get; init; } = "";
    public string ChairAgencyId { get; init; } = "";
    public string ChairRole { get; init; } = "";
    public DateTimeOffset? RaisedTime { get; init; }
    public DateTimeOffset? ClosedTime { get; init; }
    public int TimescalesMissed { get; init; }

    public bool IsClosed => State is ChallengeState.Resolved or ChallengeState.ClosedNotJustified or ChallengeState.Withdrawn;

    public Party? Chair => ChairProfessionalId.Length == 0 ? null
        : new Party { ProfessionalId = ChairProfessionalId, AgencyId = ChairAgencyId, Role = ChairRole };

    /// <summary>The record after <paramref name="event"/> is minuted.</summary>
    public static DisputeRecord Apply(DisputeRecord? record, IMessage @event)
    {
        var current = record ?? new DisputeRecord();
        return @event switch
        {
            ChallengeRaised e => current with
            {
                ChallengeVersion = e.Version,
                Stage = Stage.ProfessionalDiscussion,
                HighestStage = Stage.ProfessionalDiscussion,
                State = ChallengeState.AwaitingAcknowledgement,
                RaisingAgencyId = e.RaisingParty?.AgencyId ?? "",
                ReceivingAgencyId = e.ReceivingParty?.AgencyId ?? "",
                LocalAuthorityId = e.Child?.LocalAuthorityId ?? "",
                IroProfessionalId = e.Child?.IroProfessionalId ?? "",
                Category = e.Category,
                RaisedTime = e.OccurTime?.ToDateTimeOffset(),
            },
            ChallengeAcknowledged e => current with { ChallengeVersion = e.Version, State = ChallengeState.InDiscussion },
            DiscussionRecorded e => current with { ChallengeVersion = e.Version },
            ChallengeReviewed e => current with
            {
                ChallengeVersion = e.Version,
                State = e.Justified ? ChallengeState.InDiscussion : ChallengeState.ClosedNotJustified,
                ClosedTime = e.Justified ? current.ClosedTime : e.OccurTime?.ToDateTimeOffset(),
            },
            ChallengeEscalated e => current with
            {
                ChallengeVersion = e.Version,
                Stage = e.ToStage,
                ManagementTier = e.ManagementTier,
                HighestStage = e.ToStage > current.HighestStage ? e.ToStage : current.HighestStage,
                State = ChallengeState.InDiscussion,
            },
            ChallengeResolved e => current with { ChallengeVersion = e.Version, State = ChallengeState.Resolved, ClosedTime = e.OccurTime?.ToDateTimeOffset() },
            ChallengeWithdrawn e => current with { ChallengeVersion = e.Version, State = ChallengeState.Withdrawn, ClosedTime = e.OccurTime?.ToDateTimeOffset() },
            IndependentChairAppointed e => current with
            {
                ChairProfessionalId = e.Chair?.ProfessionalId ?? "",
                ChairAgencyId = e.Chair?.AgencyId ?? "",
                ChairRole = e.Chair?.Role ?? "",
            },
            TimescaleMissed => current with { TimescalesMissed = current.TimescalesMissed + 1 },
            _ => current,
        };
    }
}

/// <summary>Whether an event can be minuted now, must wait for an earlier one, or is already reflected.</summary>
public enum RecordReadiness
{
    Ready,
    /// <summary>An event it follows has not been minuted yet: hold it back until it has.</summary>
    Held,
    /// <summary>The record already reflects this challenge version (a republished change): nothing to add.</summary>
    Stale,
}

/// <summary>
/// The dispute's order, whatever order the events arrive in. The record is a hash chain and
/// is never rewritten, so an event is appended only once everything it follows is: challenge
/// events one version after another, a routing after the stage change that caused it, the
/// chair after the move to stage 4, anything else after the raise. An early event is held
/// back, durably, and appended as soon as its predecessor is.
/// </summary>
public static class RecordOrder
{
    public static RecordReadiness Of(DisputeRecord? record, IMessage @event)
    {
        if (@event is ChallengeRaised)
            return record is null ? RecordReadiness.Ready : RecordReadiness.Stale;
        if (record is null)
            return RecordReadiness.Held;
        return @event switch
        {
            ChallengeAcknowledged e => ByVersion(record, e.Version),
            DiscussionRecorded e => ByVersion(record, e.Version),
            ChallengeReviewed e => ByVersion(record, e.Version),
            ChallengeEscalated e => ByVersion(record, e.Version),
            ChallengeResolved e => ByVersion(record, e.Version),
            ChallengeWithdrawn e => ByVersion(record, e.Version),
            ResponsiblePartiesRouted e => record.ChallengeVersion >= e.ChallengeVersion ? RecordReadiness.Ready : RecordReadiness.Held,
            RoutingGapFound e => record.ChallengeVersion >= e.ChallengeVersion ? RecordReadiness.Ready : RecordReadiness.Held,
            IndependentChairAppointed => record.HighestStage >= Stage.SafeguardingPartnership ? RecordReadiness.Ready : RecordReadiness.Held,
            _ => RecordReadiness.Ready,
        };
    }

    /// <summary>The order held events are tried in: challenge changes by version first, then the rest.</summary>
    public static long ChallengeVersionOf(IMessage @event) => @event switch
    {
        ChallengeRaised e => e.Version,
        ChallengeAcknowledged e => e.Version,
        DiscussionRecorded e => e.Version,
        ChallengeReviewed e => e.Version,
        ChallengeEscalated e => e.Version,
        ChallengeResolved e => e.Version,
        ChallengeWithdrawn e => e.Version,
        ResponsiblePartiesRouted e => e.ChallengeVersion,
        RoutingGapFound e => e.ChallengeVersion,
        _ => long.MaxValue,
    };

    private static RecordReadiness ByVersion(DisputeRecord record, long version) =>
        version <= record.ChallengeVersion ? RecordReadiness.Stale
            : version == record.ChallengeVersion + 1 ? RecordReadiness.Ready
            : RecordReadiness.Held;
}
