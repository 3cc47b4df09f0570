using Disputes.Challenge.Domain;
using Disputes.V1;
using Grpc.Core;
using static Disputes.Challenge.Domain.ChallengeCommand;
using static Disputes.V1.ChallengeState;

namespace Disputes.UnitTests;

/// <summary>The procedure's state machine, row by row as the issue gives it.</summary>
public class ChallengeTransitionsTests
{
    private static Position At(int stage, ChallengeState state, int tier = 0) => new((Stage)stage, tier, state);

    private static readonly Position Raised = At(1, AwaitingAcknowledgement);
    private static readonly Position Stage1 = At(1, InDiscussion);
    private static readonly Position AwaitingReviewAt2 = At(2, AwaitingReview);
    private static readonly Position Stage2 = At(2, InDiscussion);
    private static readonly Position Tier1 = At(3, InDiscussion, 1);
    private static readonly Position Tier2 = At(3, InDiscussion, 2);
    private static readonly Position Stage4 = At(4, InDiscussion);

    /// <summary>from, move, to (null: refused with FAILED_PRECONDITION).</summary>
    public static TheoryData<string, Position, Move, Position?> Table() => new()
    {
        { "acknowledge a raised challenge", Raised, new(Acknowledge), Stage1 },
        { "acknowledge twice", Stage1, new(Acknowledge), null },
        { "acknowledge at stage 2", AwaitingReviewAt2, new(Acknowledge), null },
        { "discussion at stage 1", Stage1, new(RecordDiscussion), Stage1 },
        { "discussion at stage 2", Stage2, new(RecordDiscussion), Stage2 },
        { "discussion at stage 3", Tier2, new(RecordDiscussion), Tier2 },
        { "discussion at stage 4", Stage4, new(RecordDiscussion), Stage4 },
        { "discussion before acknowledgement", Raised, new(RecordDiscussion), null },
        { "discussion awaiting review", AwaitingReviewAt2, new(RecordDiscussion), null },
        { "escalate unacknowledged stage 1", Raised, new(Escalate), AwaitingReviewAt2 },
        { "escalate stage 1", Stage1, new(Escalate), AwaitingReviewAt2 },
        { "review justified", AwaitingReviewAt2, new(ChallengeCommand.Review, Justified: true), Stage2 },
        { "review not justified", AwaitingReviewAt2, new(ChallengeCommand.Review, Justified: false), At(2, ClosedNotJustified) },
        { "review twice", Stage2, new(ChallengeCommand.Review, Justified: true), null },
        { "review at stage 1", Stage1, new(ChallengeCommand.Review, Justified: true), null },
        { "escalate awaiting review", AwaitingReviewAt2, new(Escalate), null },
        { "escalate stage 2", Stage2, new(Escalate), Tier1 },
        { "escalate stage 3 next tier", Tier1, new(Escalate), Tier2 },
        { "escalate stage 3 to the partnership", Tier2, new(Escalate, TargetStage: Stage.SafeguardingPartnership), Stage4 },
        { "escalate stage 4", Stage4, new(Escalate), null },
        { "target stage not later", Tier1, new(Escalate, TargetStage: Stage.LineManagers), null },
        { "skip stages, child not CP/LAC", Stage1, new(Escalate, TargetStage: Stage.SafeguardingPartnership), null },
        { "IRO: stage 1 to 3", Stage1, new(Escalate, TargetStage: Stage.SeniorManagers, ChildOnPlanOrLookedAfter: true), Tier1 },
        { "IRO: raised to 4", Raised, new(Escalate, TargetStage: Stage.SafeguardingPartnership, ChildOnPlanOrLookedAfter: true), Stage4 },
        { "IRO: awaiting review to 3", AwaitingReviewAt2, new(Escalate, TargetStage: Stage.SeniorManagers, ChildOnPlanOrLookedAfter: true), Tier1 },
        { "IRO: not to the same stage", Stage2, new(Escalate, TargetStage: Stage.LineManagers, ChildOnPlanOrLookedAfter: true), null },
        { "auto from stage 1", Raised, new(AutoEscalate), AwaitingReviewAt2 },
        { "auto awaiting review", AwaitingReviewAt2, new(AutoEscalate), Tier1 },
        { "auto at stage 3", Tier1, new(AutoEscalate), Tier2 },
        { "auto at stage 4", Stage4, new(AutoEscalate), null },
        { "resolve stage 1", Raised, new(Resolve), At(1, Resolved) },
        { "resolve stage 3", Tier2, new(Resolve), At(3, Resolved, 2) },
        { "resolve stage 4", Stage4, new(Resolve), At(4, Resolved) },
        { "withdraw awaiting review", AwaitingReviewAt2, new(Withdraw), At(2, Withdrawn) },
        { "withdraw stage 4", Stage4, new(Withdraw), At(4, Withdrawn) },
        { "resolve a resolved one", At(2, Resolved), new(Resolve), null },
        { "withdraw a withdrawn one", At(1, Withdrawn), new(Withdraw), null },
        { "escalate a closed one", At(2, ClosedNotJustified), new(Escalate), null },
        { "auto on a closed one", At(2, ClosedNotJustified), new(AutoEscalate), null },
        { "IRO on a resolved one", At(1, Resolved), new(Escalate, TargetStage: Stage.SafeguardingPartnership, ChildOnPlanOrLookedAfter: true), null },
        { "discussion on a withdrawn one", At(3, Withdrawn, 1), new(RecordDiscussion), null },
    };

    [Theory]
    [MemberData(nameof(Table))]
    public void The_table_moves_a_challenge_or_refuses(string row, Position from, Move move, Position? to)
    {
        Assert.True(to == ChallengeTransitions.TryMove(from, move), $"{row}: expected {to?.ToString() ?? "refusal"}");
        if (to is null)
            Assert.False(string.IsNullOrWhiteSpace(ChallengeTransitions.WhyNot(from, move)));
    }

    [Fact]
    public void A_refused_move_is_FAILED_PRECONDITION_with_a_PreconditionFailure_saying_why()
    {
        var challenge = ChallengeAggregateTests.Raised();

        var error = Assert.Throws<RpcException>(() => challenge.Decide(new Move(ChallengeCommand.Review, Justified: true)));

        Assert.Equal(StatusCode.FailedPrecondition, error.StatusCode);
        var violation = Assert.Single(error.GetRpcStatus()!.GetDetail<Google.Rpc.PreconditionFailure>().Violations);
        Assert.Equal(challenge.Name, violation.Subject);
        Assert.Contains("stage 2 while awaiting review", violation.Description);
    }
}
