using Disputes.Challenge.Domain;
using Disputes.Procedure;
using Disputes.ServiceDefaults.Identity;
using Disputes.V1;
using Google.Protobuf;
using Google.Rpc;
using Grpc.Core;

namespace Disputes.UnitTests;

/// <summary>Issue 6, findings 1 and 11: stored and support views are allowlists; every text field has a limit.</summary>
public class ChallengeProjectionsTests
{
    private static readonly Caller Raiser = new("pc-101", "police", new HashSet<string> { DisputeRoles.Practitioner });

    /// <summary>The message with an unknown field (number 999) of <paramref name="size"/> bytes appended, as a client could send it.</summary>
    public static T WithUnknownField<T>(T message, int size) where T : IMessage<T>, new()
    {
        using var buffer = new MemoryStream();
        var output = new CodedOutputStream(buffer);
        message.WriteTo(output);
        output.WriteTag(999, WireFormat.WireType.LengthDelimited);
        output.WriteBytes(ByteString.CopyFrom(new byte[size]));
        output.Flush();
        return new MessageParser<T>(() => new T()).ParseFrom(buffer.ToArray());
    }

    [Fact]
    public void A_raise_carrying_unknown_fields_stores_none_of_them()
    {
        var request = RaiseChallengeRulesTests.ValidRequest();
        request.Challenge = WithUnknownField(request.Challenge, 3 * 1024 * 1024);
        request.Challenge.Child = WithUnknownField(request.Challenge.Child, 1024);
        Assert.True(request.Challenge.CalculateSize() > 3 * 1024 * 1024);

        RaiseChallengeRules.Validate(request);
        var stored = RaiseChallengeRules.NewChallenge(request, Raiser, "01JD0000000000000000000000", DateTimeOffset.UnixEpoch, "t");

        Assert.True(stored.CalculateSize() < 4096, $"stored {stored.CalculateSize()} bytes");
        Assert.Equal(stored.ToByteArray(), ChallengeProjections.Full(stored).ToByteArray());
        Assert.Equal("child-ref-42", stored.Child.Reference);
    }

    [Fact]
    public void Output_only_fields_of_a_raise_are_never_taken_from_the_caller()
    {
        var request = RaiseChallengeRulesTests.ValidRequest();
        request.Challenge.State = ChallengeState.Resolved;
        request.Challenge.Resolution = new Resolution { Summary = "pre-resolved" };
        request.Challenge.IndependentChair = new Party { ProfessionalId = "me" };
        request.Challenge.Version = 99;

        var stored = RaiseChallengeRules.NewChallenge(request, Raiser, "01JD0000000000000000000000", DateTimeOffset.UnixEpoch, "t");

        Assert.Equal((ChallengeState.AwaitingAcknowledgement, 1L), (stored.State, stored.Version));
        Assert.Null(stored.Resolution);
        Assert.Null(stored.IndependentChair);
    }

    [Fact]
    public void Support_sees_an_allowlist_projection_never_unknown_fields_or_narrative()
    {
        var full = ChallengeAggregateTests.Raised()
            .Acknowledge(new Party { AgencyId = "childrens-social-care", ProfessionalId = "sw-7" }, "note", ChallengeAggregateTests.Now, "t").Challenge
            .RecordDiscussion(new Party { AgencyId = "police", ProfessionalId = "pc-101", Role = "officer" },
                new Discussion { Mode = DiscussionMode.Telephone, Summary = "secret summary", Attendees = { new Party { Role = "secret role" } } },
                ChallengeAggregateTests.Now, "t").Challenge
            .Resolve(new Party { AgencyId = "police", ProfessionalId = "pc-101" },
                new Resolution { Kind = ResolutionKind.AgreedPlanOfAction, Summary = "secret plan" }, ChallengeAggregateTests.Now, "t").Challenge
            .ToMessage();
        var withUnknown = WithUnknownField(full, 100);

        var seen = ChallengeProjections.ForSupport(withUnknown);

        Assert.Equal(seen.CalculateSize(), ParseKnown(seen.ToByteArray()).CalculateSize());
        var json = JsonFormatter.Default.Format(seen);
        foreach (var secret in new[] { "secret", "Case closed", "Neglect", "Re-open", "without support", "child-ref-42", "officer", "police officer" })
            Assert.DoesNotContain(secret, json);
        Assert.Equal((full.Name, full.Stage, full.State, full.TraceId, full.Version), (seen.Name, seen.Stage, seen.State, seen.TraceId, seen.Version));
        Assert.Equal(ResolutionKind.AgreedPlanOfAction, seen.Resolution.Kind);
        Assert.Equal(DiscussionMode.Telephone, Assert.Single(seen.Discussions).Mode);
        Assert.Equal(full.History.Count, seen.History.Count);
    }

    private static V1.Challenge ParseKnown(byte[] bytes) => V1.Challenge.Parser.WithDiscardUnknownFields(true).ParseFrom(bytes);

    public static TheoryData<string, Action<RecordDiscussionRequest>> OversizedDiscussions() => new()
    {
        { "discussion.summary", r => r.Discussion.Summary = new string('x', ChallengeLimits.NarrativeLength + 1) },
        { "discussion.attendees", r => r.Discussion.Attendees.AddRange(Enumerable.Range(0, ChallengeLimits.Attendees + 1).Select(i => new Party { AgencyId = $"a{i}" })) },
        { "discussion.attendees[0].role", r => r.Discussion.Attendees.Add(new Party { Role = new string('x', ChallengeLimits.IdLength + 1) }) },
        { "discussion.agreed_actions", r => r.Discussion.AgreedActions.AddRange(Enumerable.Range(0, ChallengeLimits.AgreedActions + 1).Select(i => new AgreedAction { Description = "d" })) },
        { "discussion.agreed_actions[0].description", r => r.Discussion.AgreedActions.Add(new AgreedAction { Description = new string('x', ChallengeLimits.ActionLength + 1) }) },
        { "discussion.agreed_actions[0].due_date", r => r.Discussion.AgreedActions.Add(new AgreedAction { Description = "d", DueDate = "next week" }) },
        { "discussion.mode", r => r.Discussion.Mode = DiscussionMode.Unspecified },
        { "request_id", r => r.RequestId = new string('x', ChallengeLimits.IdLength + 1) },
    };

    [Theory]
    [MemberData(nameof(OversizedDiscussions))]
    public void Every_field_of_a_discussion_has_a_limit_named_in_the_error(string field, Action<RecordDiscussionRequest> spoil)
    {
        var request = new RecordDiscussionRequest
        {
            Name = "challenges/01JD0000000000000000000000",
            Discussion = new Discussion { Mode = DiscussionMode.FaceToFace, Summary = "We met." },
        };
        CommandRules.Validate(request);
        spoil(request);

        var error = Assert.Throws<RpcException>(() => CommandRules.Validate(request));

        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.Equal(field, Assert.Single(error.GetRpcStatus()!.GetDetail<BadRequest>().FieldViolations).Field);
    }

    [Fact]
    public void Resolve_needs_a_kind_and_a_summary_and_withdraw_a_reason_and_not_justified_its_reasons()
    {
        static string[] Fields(Action validate) =>
            Assert.Throws<RpcException>(validate).GetRpcStatus()!.GetDetail<BadRequest>().FieldViolations.Select(v => v.Field).ToArray();

        Assert.Equal(["resolution"], Fields(() => CommandRules.Validate(new ResolveChallengeRequest())));
        Assert.Equal(["resolution.kind", "resolution.summary"], Fields(() => CommandRules.Validate(new ResolveChallengeRequest { Resolution = new Resolution() })));
        Assert.Equal(["reason"], Fields(() => CommandRules.Validate(new WithdrawChallengeRequest())));
        Assert.Equal(["reasons"], Fields(() => CommandRules.Validate(new ReviewChallengeRequest { Justified = false })));
        CommandRules.Validate(new ReviewChallengeRequest { Justified = true });
        Assert.Equal(["target_stage"], Fields(() => CommandRules.Validate(new EscalateChallengeRequest { TargetStage = (Stage)42 })));
    }

    [Fact]
    public void A_child_on_a_plan_or_looked_after_needs_its_local_authority()
    {
        var request = RaiseChallengeRulesTests.ValidRequest();
        request.Challenge.Child.LocalAuthorityId = "";

        var error = Assert.Throws<RpcException>(() => RaiseChallengeRules.Validate(request));

        Assert.Equal("challenge.child.local_authority_id", Assert.Single(error.GetRpcStatus()!.GetDetail<BadRequest>().FieldViolations).Field);
    }
}
