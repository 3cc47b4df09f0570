using Disputes.Challenge.Domain;
using Disputes.Challenge.Storage;
using Disputes.EventBus;
using Disputes.ServiceDefaults.Grpc;
using Disputes.ServiceDefaults.Identity;
using Disputes.ServiceDefaults.Telemetry;
using Disputes.V1;
using Grpc.Core;

namespace Disputes.Challenge.Grpc;

public sealed class ChallengeGrpcService(
    ChallengeStore store,
    IntegrationEventFactory events,
    TimeProvider timeProvider) : ChallengeService.ChallengeServiceBase
{
    public override async Task<V1.Challenge> RaiseChallenge(RaiseChallengeRequest request, ServerCallContext context)
    {
        var caller = context.GetCaller();
        RaiseChallengeRules.EnsureRaiserIsCaller(request.Challenge?.RaisingParty, caller);
        RaiseChallengeRules.Validate(request);

        var id = SortableId.New(timeProvider);
        DisputeTelemetry.TagDispute(id);
        var challenge = RaiseChallengeRules.NewChallenge(request, caller, id, timeProvider.GetUtcNow(), DisputeTelemetry.CurrentTraceId());
        var (stored, created) = await store.CreateAsync(challenge, request.RequestId, [events.Create(ChallengeEvents.Raised(challenge))]);
        if (!created)
            DisputeTelemetry.TagDispute(ResourceNames.ParseChallenge(stored.Name, "name"));
        return stored;
    }

    public override async Task<V1.Challenge> GetChallenge(GetChallengeRequest request, ServerCallContext context)
    {
        var id = ResourceNames.ParseChallenge(request.Name, "name");
        DisputeTelemetry.TagDispute(id);
        var challenge = await store.GetAsync(id) ?? throw RpcErrors.NotFound(request.Name);
        return ViewFor(context.GetCaller(), challenge)
            ?? throw RpcErrors.PermissionDenied($"The caller's agency is not a party to {request.Name}.");
    }

    private const int MaxBatchesPerPage = 10;

    public override async Task<ListChallengesResponse> ListChallenges(ListChallengesRequest request, ServerCallContext context)
    {
        var caller = context.GetCaller();
        var pageSize = PageTokens.SizeOf(request.PageSize);
        var position = PageTokens.Decode(request.PageToken);
        if (position is not null && !SortableId.IsValid(position))
            throw RpcErrors.InvalidArgument("page_token", "is not a page token this API returned");

        var index = DisputeAccess.SeesAllDisputes(caller) ? ChallengeStore.AllIndex : ChallengeStore.AgencyIndex(caller.AgencyId);
        var response = new ListChallengesResponse();
        // Filters may skip ids: read on until the page is full or the index ends, within a bound
        // (a short page with a next_page_token is a valid answer).
        for (var batch = 0; batch < MaxBatchesPerPage && response.Challenges.Count < pageSize; batch++)
        {
            var ids = await store.PageIdsAsync(index, position, pageSize);
            if (ids.Count == 0)
            {
                position = null;
                break;
            }
            var challenges = await store.GetManyAsync(ids);
            for (var i = 0; i < ids.Count && response.Challenges.Count < pageSize; i++)
            {
                position = ids[i];
                if (challenges[i] is { } challenge && Matches(request, challenge) && ViewFor(caller, challenge) is { } visible)
                    response.Challenges.Add(visible);
            }
            if (ids.Count < pageSize && response.Challenges.Count < pageSize)
            {
                position = null;
                break;
            }
        }
        response.NextPageToken = position is null ? "" : PageTokens.Encode(position);
        return response;
    }

    private static bool Matches(ListChallengesRequest request, V1.Challenge challenge) =>
        (request.State == ChallengeState.Unspecified || request.State == challenge.State)
        && (request.Stage == Stage.Unspecified || request.Stage == challenge.Stage);

    private static V1.Challenge? ViewFor(Caller caller, V1.Challenge challenge) =>
        DisputeAccess.ViewFor(caller, ChallengeViews.PartiesOf(challenge)) switch
        {
            DisputeView.Full => challenge,
            DisputeView.Support => ChallengeViews.ForSupport(challenge),
            _ => null,
        };
}
