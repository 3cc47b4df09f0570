using Disputes.V1;
using static Disputes.V1.ChallengeState;
using static Disputes.V1.Stage;

namespace Disputes.Challenge.Domain;

/// <summary>
/// The procedure's state machine, in one place: which command may move a challenge from
/// where it stands, and to where. The first row that matches decides.
/// </summary>
public static class ChallengeTransitions
{
    private sealed record Row(ChallengeCommand Command, Func<Position, Move, bool> From, Func<Position, Move, Position> To);

    private static readonly Row[] Table =
    [
        new(ChallengeCommand.Acknowledge, (p, _) => p is { Stage: ProfessionalDiscussion, State: AwaitingAcknowledgement }, (p, _) => p with { State = InDiscussion }),
        // Each discussion is kept; the challenge stays where it is.
        new(ChallengeCommand.RecordDiscussion, (p, _) => p.State == InDiscussion, (p, _) => p),
        new(ChallengeCommand.Escalate, (p, m) => p.Stage == ProfessionalDiscussion && p.IsOpen && m.TargetStage is Stage.Unspecified or LineManagers, (_, _) => Arrive(LineManagers)),
        new(ChallengeCommand.Review, (p, m) => p is { Stage: LineManagers, State: AwaitingReview } && m.Justified, (p, _) => p with { State = InDiscussion }),
        new(ChallengeCommand.Review, (p, m) => p is { Stage: LineManagers, State: AwaitingReview } && !m.Justified, (p, _) => p with { State = ClosedNotJustified }),
        new(ChallengeCommand.Escalate, (p, m) => p is { Stage: LineManagers, State: InDiscussion } && m.TargetStage is Stage.Unspecified or SeniorManagers, (_, _) => Arrive(SeniorManagers)),
        new(ChallengeCommand.Escalate, (p, m) => p.Stage == SeniorManagers && p.IsOpen && m.TargetStage == Stage.Unspecified, (p, _) => p with { ManagementTier = p.ManagementTier + 1 }),
        // Senior managers advise the partnership.
        new(ChallengeCommand.Escalate, (p, m) => p.Stage == SeniorManagers && p.IsOpen && m.TargetStage == SafeguardingPartnership, (_, _) => Arrive(SafeguardingPartnership)),
        // The IRO rule: for a child on a CP Plan or Looked After, any later stage.
        new(ChallengeCommand.Escalate, (p, m) => p.IsOpen && m.ChildOnPlanOrLookedAfter && m.TargetStage > p.Stage, (_, m) => Arrive(m.TargetStage)),
        new(ChallengeCommand.AutoEscalate, (p, _) => p.IsOpen && p.Stage < SafeguardingPartnership, (p, _) => p.Stage == SeniorManagers ? p with { ManagementTier = p.ManagementTier + 1 } : Arrive(p.Stage + 1)),
        new(ChallengeCommand.Resolve, (p, _) => p.IsOpen, (p, _) => p with { State = Resolved }),
        new(ChallengeCommand.Withdraw, (p, _) => p.IsOpen, (p, _) => p with { State = Withdrawn }),
    ];

    /// <summary>Where a challenge stands on arriving at a stage: stage 2 awaits the raising manager's review; stage 3 starts at tier 1.</summary>
    public static Position Arrive(Stage stage) => stage switch
    {
        ProfessionalDiscussion => new(stage, 0, AwaitingAcknowledgement),
        LineManagers => new(stage, 0, AwaitingReview),
        SeniorManagers => new(stage, 1, InDiscussion),
        SafeguardingPartnership => new(stage, 0, InDiscussion),
        _ => throw new ArgumentOutOfRangeException(nameof(stage)),
    };

    /// <summary>Where the move takes the challenge, or null when the table does not allow it from here.</summary>
    public static Position? TryMove(Position from, Move move) =>
        Table.FirstOrDefault(row => row.Command == move.Command && row.From(from, move))?.To(from, move);

    /// <summary>Why the table refuses the move, in words a caller can act on.</summary>
    public static string WhyNot(Position from, Move move)
    {
        if (!from.IsOpen)
            return $"The challenge is closed ({from.State}): no command changes it any more.";
        return move.Command switch
        {
            ChallengeCommand.Acknowledge => "Acknowledgement is only possible at stage 1 while awaiting acknowledgement.",
            ChallengeCommand.RecordDiscussion => "A discussion is recorded while the parties are in discussion, not while awaiting acknowledgement or the stage 2 review.",
            ChallengeCommand.Review => "Review is only possible at stage 2 while awaiting review.",
            ChallengeCommand.Escalate when move.TargetStage != Stage.Unspecified && move.TargetStage <= from.Stage =>
                "target_stage must be a later stage than the current one.",
            ChallengeCommand.Escalate when from is { Stage: LineManagers, State: AwaitingReview } =>
                "At stage 2 the raising line manager reviews the challenge before it can be escalated.",
            ChallengeCommand.Escalate when from.Stage == SafeguardingPartnership => "Stage 4 is the last stage of the procedure.",
            ChallengeCommand.Escalate =>
                "Escalating past the next stage (or tier) is only for the IRO of a child on a Child Protection Plan or Looked After; at stage 3 target_stage may be the partnership.",
            ChallengeCommand.AutoEscalate => "Stage 4 is the last stage of the procedure.",
            _ => $"{move.Command} is not possible at {from}.",
        };
    }
}
