using Disputes.Procedure;
using Disputes.V1;
using Grpc.Core;

namespace Disputes.IntegrationTests;

/// <summary>Stage 4 recommendations tracked through their statuses; overdue ones listed for the partnership on a fake clock.</summary>
[Collection(RedisCollection.Name)]
public sealed class RecommendationTests(RedisServerFixture redis) : IAsyncLifetime
{
    private RecordsHost _host = null!;
    private DisputeStory _story = null!;

    public async Task InitializeAsync()
    {
        await redis.FlushAsync();
        _host = await RecordsHost.StartAsync(redis);
        _story = new DisputeStory(RecordsTestSupport.NewChallengeId(), _host.Time.GetUtcNow());
    }

    public async Task DisposeAsync() => await _host.DisposeAsync();

    private string Parent => $"challenges/{_story.ChallengeId}";
    private Metadata Chair => _host.Bearer("chair-1", "health", DisputeRoles.IndependentChair);
    private Metadata Partnership => _host.Bearer("scp-1", "partnership", DisputeRoles.Partnership);

    private CreateRecommendationRequest Create(string owner = "childrens-social-care", string due = "2026-03-20") => new()
    {
        Parent = Parent,
        Recommendation = new Recommendation { Text = "Review the case closure guidance.", OwnerAgencyId = owner, DueDate = due },
    };

    [Fact]
    public async Task Recommendations_are_made_at_stage_4_only()
    {
        await _host.DeliverAsync(_story.Events[0].Event, _story.Events[0].Context);
        var early = await Assert.ThrowsAsync<RpcException>(() => _host.Client.CreateRecommendationAsync(Create(), Partnership).ResponseAsync);
        Assert.Equal(StatusCode.PermissionDenied, early.StatusCode);
    }

    [Fact]
    public async Task A_recommendation_moves_through_its_statuses_with_evidence_and_leaves_the_overdue_list_when_completed()
    {
        await _host.DeliverAllAsync(_story);
        var made = await _host.Client.CreateRecommendationAsync(Create(), Chair);
        await _host.Client.CreateRecommendationAsync(Create(RecommendationRulesGroup, "2026-06-30"), Partnership);
        Assert.Equal(RecommendationStatus.Open, made.Status);
        Assert.False(made.Overdue);

        var notOwner = await Assert.ThrowsAsync<RpcException>(() => _host.Client.UpdateRecommendationStatusAsync(new UpdateRecommendationStatusRequest
        {
            Name = made.Name, Status = RecommendationStatus.InProgress, Evidence = "x", Etag = made.Etag,
        }, _host.Bearer("pc-101", "police")).ResponseAsync);
        Assert.Equal(StatusCode.PermissionDenied, notOwner.StatusCode);

        var owner = _host.Bearer("sw-7", "childrens-social-care");
        var started = await _host.Client.UpdateRecommendationStatusAsync(new UpdateRecommendationStatusRequest
        {
            Name = made.Name, Status = RecommendationStatus.InProgress, Evidence = "Guidance review scheduled.", Etag = made.Etag,
        }, owner);
        Assert.Equal(RecommendationStatus.InProgress, started.Status);
        var stale = await Assert.ThrowsAsync<RpcException>(() => _host.Client.UpdateRecommendationStatusAsync(new UpdateRecommendationStatusRequest
        {
            Name = made.Name, Status = RecommendationStatus.Completed, Evidence = "Done.", Etag = made.Etag,
        }, owner).ResponseAsync);
        Assert.Equal(StatusCode.Aborted, stale.StatusCode);

        _host.Time.Advance(TimeSpan.FromDays(30));
        var overdue = await _host.Client.ListRecommendationsAsync(new ListRecommendationsRequest { Parent = "challenges/-", OverdueOnly = true }, Partnership);
        Assert.Equal([made.Name], overdue.Recommendations.Select(r => r.Name));
        Assert.True(overdue.Recommendations[0].Overdue);

        var completed = await _host.Client.UpdateRecommendationStatusAsync(new UpdateRecommendationStatusRequest
        {
            Name = made.Name, Status = RecommendationStatus.Completed, Evidence = "Guidance re-issued on 2026-04-01.", Etag = started.Etag,
        }, owner);
        Assert.Equal(RecommendationStatus.Completed, completed.Status);
        Assert.Equal(2, completed.Updates.Count);
        Assert.Empty((await _host.Client.ListRecommendationsAsync(new ListRecommendationsRequest { Parent = "challenges/-", OverdueOnly = true }, Partnership)).Recommendations);
        var settled = await Assert.ThrowsAsync<RpcException>(() => _host.Client.UpdateRecommendationStatusAsync(new UpdateRecommendationStatusRequest
        {
            Name = made.Name, Status = RecommendationStatus.InProgress, Evidence = "Again.", Etag = completed.Etag,
        }, owner).ResponseAsync);
        Assert.Equal(StatusCode.FailedPrecondition, settled.StatusCode);

        var all = await _host.Client.ListRecommendationsAsync(new ListRecommendationsRequest { Parent = Parent }, _host.Bearer("pc-101", "police"));
        Assert.Equal(2, all.Recommendations.Count);
        var everyone = await Assert.ThrowsAsync<RpcException>(() => _host.Client.ListRecommendationsAsync(new ListRecommendationsRequest { Parent = "challenges/-" }, owner).ResponseAsync);
        Assert.Equal(StatusCode.PermissionDenied, everyone.StatusCode);
    }

    [Fact]
    public async Task A_recommendation_needs_text_an_owner_and_a_due_date()
    {
        await _host.DeliverAllAsync(_story);
        var error = await Assert.ThrowsAsync<RpcException>(() => _host.Client.CreateRecommendationAsync(
            new CreateRecommendationRequest { Parent = Parent, Recommendation = new Recommendation { DueDate = "soon" } }, Chair).ResponseAsync);
        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
    }

    private const string RecommendationRulesGroup = Disputes.Records.Domain.RecommendationRules.ProceduresGroup;
}
