using Disputes.Challenge.Commands;
using Disputes.ServiceDefaults.Identity;
using Disputes.V1;
using Grpc.Core;

namespace Disputes.Challenge.Grpc;

/// <summary>The gRPC (and, transcoded, REST) face of the challenge commands and queries.</summary>
public sealed class ChallengeGrpcService(ChallengeCommandHandler commands, ChallengeQueries queries) : ChallengeService.ChallengeServiceBase
{
    public override Task<V1.Challenge> RaiseChallenge(RaiseChallengeRequest request, ServerCallContext context) =>
        commands.RaiseAsync(request, context.GetCaller());

    public override Task<V1.Challenge> GetChallenge(GetChallengeRequest request, ServerCallContext context) =>
        queries.GetAsync(request, context.GetCaller());

    public override Task<ListChallengesResponse> ListChallenges(ListChallengesRequest request, ServerCallContext context) =>
        queries.ListAsync(request, context.GetCaller());

    public override Task<V1.Challenge> AcknowledgeChallenge(AcknowledgeChallengeRequest request, ServerCallContext context) =>
        commands.AcknowledgeAsync(request, context.GetCaller());

    public override Task<V1.Challenge> RecordDiscussion(RecordDiscussionRequest request, ServerCallContext context) =>
        commands.RecordDiscussionAsync(request, context.GetCaller());

    public override Task<V1.Challenge> ReviewChallenge(ReviewChallengeRequest request, ServerCallContext context) =>
        commands.ReviewAsync(request, context.GetCaller());

    public override Task<V1.Challenge> EscalateChallenge(EscalateChallengeRequest request, ServerCallContext context) =>
        commands.EscalateAsync(request, context.GetCaller());

    public override Task<V1.Challenge> ResolveChallenge(ResolveChallengeRequest request, ServerCallContext context) =>
        commands.ResolveAsync(request, context.GetCaller());

    public override Task<V1.Challenge> WithdrawChallenge(WithdrawChallengeRequest request, ServerCallContext context) =>
        commands.WithdrawAsync(request, context.GetCaller());
}
