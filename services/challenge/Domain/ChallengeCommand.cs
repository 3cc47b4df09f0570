using Disputes.V1;

namespace Disputes.Challenge.Domain;

/// <summary>The commands that move a challenge through the procedure.</summary>
public enum ChallengeCommand
{
    Raise,
    Acknowledge,
    RecordDiscussion,
    Review,
    Escalate,
    /// <summary>Escalation's timescale policy escalating an overdue challenge; no person, no role check.</summary>
    AutoEscalate,
    Resolve,
    Withdraw,
}

/// <summary>Where a challenge stands: its stage, the management tier at stage 3 (0 elsewhere) and its state.</summary>
public readonly record struct Position(Stage Stage, int ManagementTier, ChallengeState State)
{
    public bool IsOpen => State is ChallengeState.AwaitingAcknowledgement or ChallengeState.InDiscussion or ChallengeState.AwaitingReview;

    public override string ToString() =>
        Stage == Stage.SeniorManagers ? $"{Stage} tier {ManagementTier}, {State}" : $"{Stage}, {State}";
}

/// <summary>What a command asks for beyond its name: the review's finding, an escalation's target stage.</summary>
public sealed record Move(ChallengeCommand Command, bool Justified = false, Stage TargetStage = Stage.Unspecified, bool ChildOnPlanOrLookedAfter = false);

public static class ChallengeCommandNames
{
    /// <summary>The word a history entry (<see cref="StageChange.Command"/>) and request keys use.</summary>
    public static string Of(ChallengeCommand command) => command switch
    {
        ChallengeCommand.Raise => "raise",
        ChallengeCommand.Acknowledge => "acknowledge",
        ChallengeCommand.RecordDiscussion => "record-discussion",
        ChallengeCommand.Review => "review",
        ChallengeCommand.Escalate => "escalate",
        ChallengeCommand.AutoEscalate => "auto-escalate",
        ChallengeCommand.Resolve => "resolve",
        ChallengeCommand.Withdraw => "withdraw",
        _ => throw new ArgumentOutOfRangeException(nameof(command)),
    };
}
