using Disputes.Challenge.Commands;
using Disputes.Challenge.Domain;
using Disputes.Challenge.Events;
using Disputes.Challenge.Storage;
using Disputes.EventBus;
using Disputes.Outbox.Redis;
using Disputes.Procedure;
using Disputes.Redis;
using Disputes.ServiceDefaults.Identity;
using Disputes.V1;
using Disputes.V1.Events;
using Google.Protobuf;
using Google.Rpc;
using Grpc.Core;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Disputes.IntegrationTests;

/// <summary>The challenge commands against a real redis-server: one conditional transaction per command, with its event.</summary>
[Collection(RedisCollection.Name)]
public sealed class ChallengeCommandsTests(RedisServerFixture redis) : IAsyncLifetime
{
    private static readonly Caller Raiser = C("pc-101", "police", DisputeRoles.Practitioner);
    private static readonly Caller Receiver = C("sw-7", "childrens-social-care", DisputeRoles.Practitioner);
    private static readonly Caller RaisingManager = C("sgt-1", "police", DisputeRoles.LineManager);
    private static readonly Caller Outsider = C("hv-9", "health", DisputeRoles.LineManager);
    private static readonly Caller Partnership = C("p-1", "partnership", DisputeRoles.Partnership);

    private readonly RedisOutbox _outbox = new(Options.Create(new EventBusOptions { AppId = "challenge" }));
    private ChallengeStore _store = null!;
    private ChallengeCommandHandler _commands = null!;
    private ChallengeQueries _queries = null!;
    private IntegrationEventFactory _events = null!;

    private static Caller C(string id, string agency, params string[] roles) => new(id, agency, roles.ToHashSet());

    private IDatabase Db => redis.Redis.GetDatabase();

    public async Task InitializeAsync()
    {
        await redis.FlushAsync();
        _store = new ChallengeStore(redis.Redis, _outbox);
        _events = new IntegrationEventFactory(Options.Create(new EventBusOptions { AppId = "challenge" }), TimeProvider.System, IntegrationEvents.Catalog);
        _commands = new ChallengeCommandHandler(_store, _events, TimeProvider.System);
        _queries = new ChallengeQueries(_store);
    }

    public Task DisposeAsync() => Task.CompletedTask;

    public static RaiseChallengeRequest NewRaise(string requestId = "", string child = "child-ref-42", bool lookedAfter = false) => new()
    {
        RequestId = requestId,
        Challenge = new V1.Challenge
        {
            RaisingParty = new Party { Role = "police officer" },
            ReceivingParty = new Party { AgencyId = "childrens-social-care", ProfessionalId = "sw-7" },
            Child = new ChildReference { Reference = child, LookedAfter = lookedAfter, LocalAuthorityId = lookedAfter ? "childrens-social-care" : "" },
            Category = Category.CaseClosure,
            Subject = "Case closed after a single visit.",
            UnsafePracticeReason = "Neglect concerns were reported again.",
            DesiredChange = "Re-open the case.",
            ImpactOnChild = "The child remains without support.",
        },
    };

    private Task<long> OutboxLength() => _outbox.LengthAsync(Db);

    [Fact]
    public async Task Of_concurrent_commands_on_one_challenge_exactly_one_wins_and_only_its_event_is_written()
    {
        var raised = await _commands.RaiseAsync(NewRaise(), Raiser);

        var acknowledged = await _commands.AcknowledgeAsync(new AcknowledgeChallengeRequest { Name = raised.Name, Etag = raised.Etag }, Receiver);

        var attempts = Enumerable.Range(0, 12).Select(i => Task.Run(async () =>
        {
            try
            {
                return (await _commands.RecordDiscussionAsync(new RecordDiscussionRequest
                {
                    Name = raised.Name, Etag = acknowledged.Etag, RequestId = $"r-{i}",
                    Discussion = new Discussion { Mode = DiscussionMode.Telephone, Summary = $"call {i}" },
                }, i % 2 == 0 ? Raiser : Receiver)).Version;
            }
            catch (RpcException e) when (e.StatusCode == StatusCode.Aborted)
            {
                return 0;
            }
        })).ToArray();
        var versions = await Task.WhenAll(attempts);

        Assert.Equal(1, versions.Count(v => v == 3));
        Assert.Equal(11, versions.Count(v => v == 0));
        Assert.Equal(3, await OutboxLength());
        var stored = (await _store.GetAsync(raised.Name[11..]))!;
        Assert.Equal(3, stored.Version);
        Assert.Single(stored.ToMessage().Discussions);
    }

    [Fact]
    public async Task A_retried_request_id_returns_its_result_even_after_later_changes_and_publishes_nothing_more()
    {
        var raised = await _commands.RaiseAsync(NewRaise(requestId: "raise-1"), Raiser);
        var ack = new AcknowledgeChallengeRequest { Name = raised.Name, Etag = raised.Etag, RequestId = "ack-1" };
        var acknowledged = await _commands.AcknowledgeAsync(ack, Receiver);
        await _commands.RecordDiscussionAsync(new RecordDiscussionRequest
        {
            Name = raised.Name, Etag = acknowledged.Etag, Discussion = new Discussion { Mode = DiscussionMode.Video, Summary = "s" },
        }, Raiser);
        var before = await OutboxLength();

        var retried = await _commands.AcknowledgeAsync(ack, Receiver);
        var raisedAgain = await _commands.RaiseAsync(NewRaise(requestId: "raise-1"), Raiser);

        Assert.Equal(acknowledged, retried);
        Assert.Equal(raised.Name, raisedAgain.Name);
        Assert.Equal(before, await OutboxLength());
        Assert.Equal(3, (await _queries.GetAsync(new GetChallengeRequest { Name = raised.Name }, Raiser)).Version);
    }

    [Fact]
    public async Task The_same_request_id_with_another_request_is_ALREADY_EXISTS_REQUEST_ID_REUSED()
    {
        var raised = await _commands.RaiseAsync(NewRaise(requestId: "raise-1"), Raiser);
        await _commands.WithdrawAsync(new WithdrawChallengeRequest { Name = raised.Name, Reason = "Agreed by phone.", RequestId = "w-1" }, Raiser);

        var raiseReused = await Assert.ThrowsAsync<RpcException>(() => _commands.RaiseAsync(NewRaise(requestId: "raise-1", child: "another-child"), Raiser));
        var withdrawReused = await Assert.ThrowsAsync<RpcException>(() =>
            _commands.WithdrawAsync(new WithdrawChallengeRequest { Name = raised.Name, Reason = "Another reason.", RequestId = "w-1" }, Raiser));

        foreach (var error in new[] { raiseReused, withdrawReused })
        {
            Assert.Equal(StatusCode.AlreadyExists, error.StatusCode);
            Assert.Equal(ChallengeErrors.RequestIdReused, error.GetRpcStatus()!.GetDetail<ErrorInfo>().Reason);
        }
        // Another caller's same id is its own request.
        var byManager = await _commands.RaiseAsync(NewRaise(requestId: "raise-1", child: "another-child"), RaisingManager);
        Assert.NotEqual(raised.Name, byManager.Name);
    }

    [Fact]
    public async Task Checks_run_in_the_issues_order_and_a_refused_command_writes_nothing()
    {
        var raised = await _commands.RaiseAsync(NewRaise(), Raiser);
        var resolved = await _commands.ResolveAsync(new ResolveChallengeRequest
        {
            Name = raised.Name, Etag = raised.Etag,
            Resolution = new Resolution { Kind = ResolutionKind.AgreedPlanOfAction, Summary = "Case re-opened." },
        }, Raiser);
        var open = await _commands.RaiseAsync(NewRaise(), Raiser);
        var before = await OutboxLength();

        // 2. A non-party learns nothing, not even that the challenge is closed.
        Assert.Equal(StatusCode.PermissionDenied, (await Refused(() => _commands.WithdrawAsync(Withdraw(resolved.Name, resolved.Etag), Outsider))).StatusCode);
        // 3. Closed, whoever reads it: even a caller without the command's role.
        var closed = await Refused(() => _commands.ReviewAsync(new ReviewChallengeRequest { Name = resolved.Name, Justified = true }, Receiver));
        Assert.Equal(StatusCode.FailedPrecondition, closed.StatusCode);
        Assert.NotEmpty(closed.GetRpcStatus()!.GetDetail<PreconditionFailure>().Violations);
        // 4. Open, a reader without the role.
        Assert.Equal(StatusCode.PermissionDenied, (await Refused(() => _commands.WithdrawAsync(Withdraw(open.Name, open.Etag), Receiver))).StatusCode);
        // 5. Allowed, with a stale etag.
        var stale = await Refused(() => _commands.WithdrawAsync(Withdraw(open.Name, "\"7\""), Raiser));
        Assert.Equal(StatusCode.Aborted, stale.StatusCode);

        Assert.Equal(before, await OutboxLength());
        Assert.Equal(1, (await _store.GetAsync(open.Name[11..]))!.Version);
    }

    [Fact]
    public async Task A_raise_with_a_3_MB_unknown_field_stores_only_what_the_API_defines()
    {
        var request = NewRaise();
        using (var buffer = new MemoryStream())
        {
            var output = new CodedOutputStream(buffer);
            request.Challenge.WriteTo(output);
            output.WriteTag(999, WireFormat.WireType.LengthDelimited);
            output.WriteBytes(ByteString.CopyFrom(new byte[3 * 1024 * 1024]));
            output.Flush();
            request.Challenge = V1.Challenge.Parser.ParseFrom(buffer.ToArray());
        }

        var raised = await _commands.RaiseAsync(request, Raiser);

        var stored = (byte[])(await Db.HashGetAsync(ChallengeStore.ChallengeKey(raised.Name[11..]), "data"))!;
        Assert.True(stored.Length < 4096, $"stored {stored.Length} bytes");
        Assert.True(raised.CalculateSize() < 4096);
        var listed = await _queries.ListAsync(new ListChallengesRequest(), C("eng-1", "platform", DisputeRoles.Support));
        Assert.True(Assert.Single(listed.Challenges).CalculateSize() < 1024);
    }

    [Fact]
    public async Task Consumers_apply_an_auto_escalation_once_mark_overdue_until_the_stage_changes_and_let_the_chair_resolve()
    {
        var updates = new ChallengeUpdates(_store);
        var autoEscalation = new AutoEscalationDueHandler(updates, _store, _events, TimeProvider.System, NullLogger<AutoEscalationDueHandler>.Instance);
        var missed = new TimescaleMissedHandler(updates, _store);
        var chairs = new IndependentChairAppointedHandler(updates, _store, TimeProvider.System, NullLogger<IndependentChairAppointedHandler>.Instance);
        var context = new EventContext("e", "escalation", DateTimeOffset.UtcNow, null, null);
        var raised = await _commands.RaiseAsync(NewRaise(lookedAfter: true), Raiser);
        var id = raised.Name[11..];

        await missed.HandleAsync(new TimescaleMissed { Challenge = raised.Name, Version = 1, Stage = Stage.ProfessionalDiscussion }, context, default);
        Assert.Equal([raised.Name], (await _queries.ListAsync(new ListChallengesRequest { Overdue = true }, Raiser)).Challenges.Select(c => c.Name));

        var due = new AutoEscalationDue { Challenge = raised.Name, Version = 1, Stage = Stage.ProfessionalDiscussion, ChallengeVersion = 1, TimerId = "t-1" };
        await autoEscalation.HandleAsync(due, context, default);
        await autoEscalation.HandleAsync(due, context, default);
        var escalated = (await _store.GetAsync(id))!;
        Assert.Equal((Stage.LineManagers, 2L), (escalated.Position.Stage, escalated.Version));
        Assert.Equal(2, await OutboxLength());
        Assert.Empty((await _queries.ListAsync(new ListChallengesRequest { Overdue = true }, Raiser)).Challenges);

        // An IRO of the child's local authority moves it to the partnership; the chair appointed then resolves.
        var iro = C("iro-9", "childrens-social-care", DisputeRoles.IndependentReviewingOfficer);
        var atStage4 = await _commands.EscalateAsync(new EscalateChallengeRequest
        {
            Name = raised.Name, Etag = escalated.Etag, TargetStage = Stage.SafeguardingPartnership, Reason = "20 working days",
        }, iro);
        Assert.Equal(Stage.SafeguardingPartnership, atStage4.Stage);
        var chair = C("chair-1", "education", DisputeRoles.IndependentChair);
        await Assert.ThrowsAsync<RpcException>(() => _queries.GetAsync(new GetChallengeRequest { Name = raised.Name }, chair));
        await chairs.HandleAsync(new IndependentChairAppointed
        {
            Challenge = raised.Name, Version = 1, Chair = new Party { AgencyId = "education", ProfessionalId = "chair-1" },
        }, context, default);
        var resolved = await _commands.ResolveAsync(new ResolveChallengeRequest
        {
            Name = raised.Name, Etag = atStage4.Etag,
            Resolution = new Resolution { Kind = ResolutionKind.PartnershipRecommendations, Summary = "Recommendations made." },
        }, chair);
        Assert.Equal(ChallengeState.Resolved, resolved.State);
        Assert.Equal("chair-1", resolved.IndependentChair.ProfessionalId);
        Assert.Equal(["raise", "auto-escalate", "escalate", "resolve"], resolved.History.Select(h => h.Command));
    }

    [Fact]
    public async Task Lists_filter_newest_first_and_page_tokens_survive_new_challenges()
    {
        var names = new List<string>();
        for (var i = 0; i < 5; i++)
        {
            names.Add((await _commands.RaiseAsync(NewRaise(child: i % 2 == 0 ? "even" : "odd"), Raiser)).Name);
            await Task.Delay(2);
        }

        var first = await _queries.ListAsync(new ListChallengesRequest { PageSize = 2 }, Raiser);
        await _commands.RaiseAsync(NewRaise(), Raiser);
        var second = await _queries.ListAsync(new ListChallengesRequest { PageSize = 2, PageToken = first.NextPageToken }, Raiser);
        var evens = await _queries.ListAsync(new ListChallengesRequest { ChildReference = "even" }, Raiser);
        var partnershipView = await _queries.ListAsync(new ListChallengesRequest { ReceivingAgencyId = "childrens-social-care", Stage = Stage.ProfessionalDiscussion }, Partnership);
        var none = await _queries.ListAsync(new ListChallengesRequest { RaisedEndTime = Google.Protobuf.WellKnownTypes.Timestamp.FromDateTimeOffset(DateTimeOffset.UnixEpoch) }, Raiser);
        var outsider = await _queries.ListAsync(new ListChallengesRequest(), Outsider);

        Assert.Equal([names[4], names[3]], first.Challenges.Select(c => c.Name));
        Assert.Equal([names[2], names[1]], second.Challenges.Select(c => c.Name));
        Assert.Equal([names[4], names[2], names[0]], evens.Challenges.Select(c => c.Name));
        Assert.Equal(6, partnershipView.Challenges.Count);
        Assert.Empty(none.Challenges);
        Assert.Empty(outsider.Challenges);
    }

    [Fact]
    public async Task A_list_merges_every_partition_newest_first_and_its_pages_cover_each_challenge_once()
    {
        var names = new List<string>();
        for (var i = 0; i < 40; i++)
            names.Add((await _commands.RaiseAsync(NewRaise(child: i % 3 == 0 ? "third" : "other"), Raiser)).Name);
        // Ids are monotonic within the process, so the raise order is the id order.
        names.Reverse();
        Assert.True(names.Select(n => RedisPartitions.Of(n["challenges/".Length..])).Distinct().Count() > 8, "the challenges spread over the partitions");

        var paged = new List<string>();
        var token = "";
        var pages = 0;
        do
        {
            var page = await _queries.ListAsync(new ListChallengesRequest { PageSize = 7, PageToken = token }, Raiser);
            paged.AddRange(page.Challenges.Select(c => c.Name));
            token = page.NextPageToken;
            pages++;
        }
        while (token.Length > 0 && pages < 20);
        var thirds = await _queries.ListAsync(new ListChallengesRequest { ChildReference = "third", PageSize = 5 }, Partnership);

        Assert.Equal(names, paged);
        Assert.Equal(names.Where((_, i) => (39 - i) % 3 == 0).Take(5), thirds.Challenges.Select(c => c.Name));
    }

    private static WithdrawChallengeRequest Withdraw(string name, string etag) => new() { Name = name, Etag = etag, Reason = "Resolved informally." };

    private static async Task<RpcException> Refused(Func<Task> command) => await Assert.ThrowsAsync<RpcException>(command);
}
