using Disputes.Challenge.Domain;
using Disputes.Challenge.Storage;
using Disputes.Procedure;
using Disputes.ServiceDefaults.Grpc;
using Disputes.ServiceDefaults.Identity;
using Disputes.V1;
using StackExchange.Redis;

namespace Disputes.Challenge.Commands;

/// <summary>Reading challenges: one by name, or a filtered page, newest first.</summary>
public sealed class ChallengeQueries(ChallengeStore store)
{
    /// <summary>Index batches read for one page at most: filters may skip many ids, and a short page with a token is a valid answer.</summary>
    private const int MaxBatchesPerPage = 10;

    public async Task<V1.Challenge> GetAsync(GetChallengeRequest request, Caller caller)
    {
        var id = ResourceNames.ParseChallenge(request.Name, "name");
        DisputeTelemetry.TagDispute(id);
        var challenge = await store.GetAsync(id) ?? throw RpcErrors.NotFound(request.Name);
        return ChallengeCommandHandler.ViewFor(caller, challenge);
    }

    public async Task<ListChallengesResponse> ListAsync(ListChallengesRequest request, Caller caller)
    {
        Validate(request);
        var pageSize = PageTokens.SizeOf(request.PageSize);
        var position = PageTokens.Decode(request.PageToken);
        if (position is not null && !SortableId.IsValid(position))
            throw RpcErrors.InvalidArgument("page_token", "is not a page token this API returned");

        var start = request.RaisedStartTime?.ToDateTimeOffset();
        var end = request.RaisedEndTime?.ToDateTimeOffset();
        var index = IndexFor(request, caller);
        var response = new ListChallengesResponse();
        for (var batch = 0; batch < MaxBatchesPerPage && response.Challenges.Count < pageSize; batch++)
        {
            // Ids only ever sort before the position for older challenges: new ones never shift a page.
            var ids = await store.PageIdsAsync(index, position, pageSize);
            if (ids.Count == 0)
            {
                position = null;
                break;
            }
            var challenges = await store.GetManyAsync(ids);
            for (var i = 0; i < ids.Count && response.Challenges.Count < pageSize; i++)
            {
                if (start is not null && SortableId.TimeOf(ids[i]) < start)
                {
                    // Newest first: everything after this one was raised earlier still.
                    position = null;
                    break;
                }
                position = ids[i];
                if (challenges[i] is { } challenge && Matches(request, challenge, start, end)
                    && ChallengeCommandHandler.TryViewFor(caller, challenge) is { } visible)
                    response.Challenges.Add(visible);
            }
            if (position is null || (ids.Count < pageSize && response.Challenges.Count < pageSize))
            {
                position = null;
                break;
            }
        }
        response.NextPageToken = position is null ? "" : PageTokens.Encode(position);
        return response;
    }

    /// <summary>The narrowest index the caller may read (its 16 partitions): the partnership and support read all, others their agency's.</summary>
    private static IReadOnlyList<RedisKey> IndexFor(ListChallengesRequest request, Caller caller)
    {
        if (!DisputeAccess.SeesAllDisputes(caller))
            return ChallengeStore.AgencyIndexes(caller.AgencyId);
        if (request.RaisingAgencyId.Length > 0)
            return ChallengeStore.AgencyIndexes(request.RaisingAgencyId);
        return request.ReceivingAgencyId.Length > 0 ? ChallengeStore.AgencyIndexes(request.ReceivingAgencyId) : ChallengeStore.AllIndexes();
    }

    private static bool Matches(ListChallengesRequest request, ChallengeAggregate challenge, DateTimeOffset? start, DateTimeOffset? end) =>
        (request.State == ChallengeState.Unspecified || request.State == challenge.Position.State)
        && (request.Stage == Stage.Unspecified || request.Stage == challenge.Position.Stage)
        && (request.RaisingAgencyId.Length == 0 || request.RaisingAgencyId == challenge.RaisingParty.AgencyId)
        && (request.ReceivingAgencyId.Length == 0 || request.ReceivingAgencyId == challenge.ReceivingParty.AgencyId)
        && (request.Category == Category.Unspecified || request.Category == challenge.Category)
        && (request.ChildReference.Length == 0 || request.ChildReference == challenge.Child.Reference)
        && (start is null || challenge.RaisedTime >= start)
        && (end is null || challenge.RaisedTime < end)
        && (!request.Overdue || challenge.IsOverdue);

    private static void Validate(ListChallengesRequest request)
    {
        var violations = new FieldViolations()
            .Optional("raising_agency_id", request.RaisingAgencyId, ChallengeLimits.IdLength)
            .Optional("receiving_agency_id", request.ReceivingAgencyId, ChallengeLimits.IdLength)
            .Optional("child_reference", request.ChildReference, ChallengeLimits.IdLength)
            .Optional("page_token", request.PageToken, 256);
        if (!Enum.IsDefined(request.State))
            violations.Add("state", "must be a state of the procedure");
        if (!Enum.IsDefined(request.Stage))
            violations.Add("stage", "must be a stage of the procedure");
        if (!Enum.IsDefined(request.Category))
            violations.Add("category", "must be one of the procedure's categories");
        CommandRules.Time(violations, "raised_start_time", request.RaisedStartTime);
        CommandRules.Time(violations, "raised_end_time", request.RaisedEndTime);
        violations.ThrowIfAny();
    }
}
