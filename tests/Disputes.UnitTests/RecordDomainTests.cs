using System.Text;
using Disputes.Procedure;
using Disputes.Records.Domain;
using Disputes.ServiceDefaults.Identity;
using Disputes.V1;
using Disputes.V1.Events;
using Google.Protobuf;

namespace Disputes.UnitTests;

public class RecordOrderTableTests
{
    private static readonly DisputeRecord AtVersion3 = new() { ChallengeVersion = 3, Stage = Stage.LineManagers, HighestStage = Stage.LineManagers };

    public static TheoryData<string, IMessage, RecordReadiness> Table => new()
    {
        { "nothing before the raise", new ChallengeAcknowledged { Version = 2 }, RecordReadiness.Held },
        { "the next version", new ChallengeEscalated { Version = 4 }, RecordReadiness.Ready },
        { "a version ahead", new ChallengeResolved { Version = 5 }, RecordReadiness.Held },
        { "a version already minuted", new DiscussionRecorded { Version = 3 }, RecordReadiness.Stale },
        { "routing after its change", new ResponsiblePartiesRouted { ChallengeVersion = 3 }, RecordReadiness.Ready },
        { "routing before its change", new ResponsiblePartiesRouted { ChallengeVersion = 4 }, RecordReadiness.Held },
        { "a gap before its change", new RoutingGapFound { ChallengeVersion = 5 }, RecordReadiness.Held },
        { "the chair before stage 4", new IndependentChairAppointed(), RecordReadiness.Held },
        { "a missed timescale", new TimescaleMissed(), RecordReadiness.Ready },
        { "the referrer told", new NotificationDelivered { RecipientRole = RecipientRole.Referrer }, RecordReadiness.Ready },
        { "a second raise", new ChallengeRaised { Version = 1 }, RecordReadiness.Stale },
    };

    [Theory]
    [MemberData(nameof(Table))]
    public void An_event_waits_for_what_it_follows(string _, IMessage @event, RecordReadiness expected)
    {
        var record = @event is ChallengeAcknowledged ? null : AtVersion3;
        Assert.Equal(expected, RecordOrder.Of(record, @event));
    }

    [Fact]
    public void The_chair_is_minuted_once_the_dispute_reached_stage_4() =>
        Assert.Equal(RecordReadiness.Ready, RecordOrder.Of(AtVersion3 with { Stage = Stage.SafeguardingPartnership, HighestStage = Stage.SafeguardingPartnership }, new IndependentChairAppointed()));

    [Fact]
    public void Only_deliveries_to_the_referrer_are_kept()
    {
        Assert.Null(RecordEntries.For(new NotificationDelivered { RecipientRole = RecipientRole.LineManager }, AtVersion3));
        Assert.Equal(RecordEntryKind.ReferrerTold, RecordEntries.For(new NotificationDelivered { RecipientRole = RecipientRole.Referrer, Status = DeliveryStatus.Delivered }, AtVersion3)!.Kind);
    }

    [Fact]
    public void The_record_tracks_stage_tier_chair_and_closure_from_the_events()
    {
        var record = DisputeRecord.Apply(null, TestEvents.Raised());
        record = DisputeRecord.Apply(record, new ChallengeEscalated { Version = 2, ToStage = Stage.SeniorManagers, ManagementTier = 2 });
        record = DisputeRecord.Apply(record, new IndependentChairAppointed { Chair = new Party { ProfessionalId = "chair-1", AgencyId = "health" } });
        record = DisputeRecord.Apply(record, new TimescaleMissed());

        Assert.Equal((2L, Stage.SeniorManagers, 2, "chair-1", 1), (record.ChallengeVersion, record.Stage, record.ManagementTier, record.ChairProfessionalId, record.TimescalesMissed));
        Assert.False(record.IsClosed);
        Assert.True(DisputeRecord.Apply(record, new ChallengeWithdrawn { Version = 3 }).IsClosed);
        Assert.True(DisputeRecord.Apply(record, new ChallengeReviewed { Version = 3, Justified = false }).IsClosed);
    }

    [Fact]
    public void A_review_says_justified_or_not_and_why()
    {
        var entry = RecordEntries.For(new ChallengeReviewed { Justified = false, Reasons = "The plan was followed.", Actor = new Party { AgencyId = "police" } }, AtVersion3)!;
        Assert.Contains("not justified", entry.Summary);
        Assert.Contains("The plan was followed.", entry.Summary);
    }
}

public class MinutesRulesTests
{
    private static readonly DisputeRecord Stage3 = new()
    {
        Stage = Stage.SeniorManagers, ManagementTier = 1, RaisingAgencyId = "police", ReceivingAgencyId = "childrens-social-care",
    };

    private static readonly DisputeRecord Stage4 = Stage3 with { Stage = Stage.SafeguardingPartnership, ChairProfessionalId = "chair-1", ChairAgencyId = "health" };

    private static Caller Caller(string professional, string agency, params string[] roles) => new(professional, agency, roles.ToHashSet());

    public static TheoryData<string, DisputeRecord, Caller, MinutesDecisionKind> Table => new()
    {
        { "stage 3 senior manager of the raising agency", Stage3, Caller("sm-1", "police", DisputeRoles.SeniorManager), MinutesDecisionKind.Final },
        { "stage 3 senior manager of the receiving agency", Stage3, Caller("sm-2", "childrens-social-care", DisputeRoles.SeniorManager), MinutesDecisionKind.Final },
        { "stage 3 senior manager of another agency", Stage3, Caller("sm-3", "health", DisputeRoles.SeniorManager), MinutesDecisionKind.PermissionDenied },
        { "stage 3 line manager", Stage3, Caller("lm-1", "police", DisputeRoles.LineManager), MinutesDecisionKind.PermissionDenied },
        { "stage 4 appointed chair", Stage4, Caller("chair-1", "health", DisputeRoles.IndependentChair), MinutesDecisionKind.Final },
        { "stage 4 chair without the role", Stage4, Caller("chair-1", "health"), MinutesDecisionKind.PermissionDenied },
        { "stage 4 another chair", Stage4, Caller("chair-2", "health", DisputeRoles.IndependentChair), MinutesDecisionKind.PermissionDenied },
        { "stage 4 the appointed chair's id at another agency", Stage4, Caller("chair-1", "education", DisputeRoles.IndependentChair), MinutesDecisionKind.PermissionDenied },
        { "stage 4 partnership", Stage4, Caller("scp-1", "partnership", DisputeRoles.Partnership), MinutesDecisionKind.Draft },
        { "stage 4 senior manager", Stage4, Caller("sm-1", "police", DisputeRoles.SeniorManager), MinutesDecisionKind.PermissionDenied },
        { "stage 2", Stage3 with { Stage = Stage.LineManagers }, Caller("sm-1", "police", DisputeRoles.SeniorManager), MinutesDecisionKind.FailedPrecondition },
        { "closed", Stage4 with { State = ChallengeState.Resolved }, Caller("chair-1", "health", DisputeRoles.IndependentChair), MinutesDecisionKind.FailedPrecondition },
    };

    [Theory]
    [MemberData(nameof(Table))]
    public void Who_may_record_minutes(string _, DisputeRecord record, Caller caller, MinutesDecisionKind expected) =>
        Assert.Equal(expected, MinutesRules.ToRecord(caller, record).Kind);

    [Fact]
    public void Only_the_appointed_chair_of_the_appointed_agency_approves_minutes_and_makes_recommendations()
    {
        var namesake = Caller("chair-1", "education", DisputeRoles.IndependentChair);
        var appointed = Caller("chair-1", "health", DisputeRoles.IndependentChair);

        Assert.Equal(MinutesDecisionKind.PermissionDenied, MinutesRules.ToApprove(namesake, Stage4).Kind);
        Assert.Equal(MinutesDecisionKind.Final, MinutesRules.ToApprove(appointed, Stage4).Kind);
        Assert.False(RecommendationRules.MayCreate(namesake, Stage4 with { HighestStage = Stage.SafeguardingPartnership }));
        Assert.True(RecommendationRules.MayCreate(appointed, Stage4 with { HighestStage = Stage.SafeguardingPartnership }));
    }

    [Fact]
    public void The_chair_of_final_stage_4_minutes_is_the_appointed_one() =>
        Assert.Equal("chair-1", MinutesRules.ToRecord(Caller("chair-1", "health", DisputeRoles.IndependentChair), Stage4).Chair?.ProfessionalId);

    [Fact]
    public void The_meeting_stored_is_copied_field_by_field_with_the_chair_given()
    {
        var meeting = new Meeting { Minutes = "m", Chair = new Party { ProfessionalId = "claimed-chair" }, Attendees = { new Party { AgencyId = "police" } } };
        var copy = MeetingInput.Copy(meeting, new Party { ProfessionalId = "chair-1", AgencyId = "health" });
        Assert.Equal("chair-1", copy.Chair.ProfessionalId);
        Assert.Equal("m", copy.Minutes);
    }
}

public class RecordSupportViewTests
{
    [Fact]
    public void The_support_view_is_built_from_allowed_fields_so_unknown_and_narrative_fields_never_reach_support()
    {
        var entry = RecordEntries.Minutes(new Meeting { Minutes = "narrative", Attendees = { new Party { AgencyId = "police", Role = "officer" } } },
            new Party { AgencyId = "police", ProfessionalId = "sm-1", Role = "senior manager" }, Stage.SeniorManagers, 1, DateTimeOffset.UnixEpoch);
        entry.TraceId = "4bf92f3577b34da6a3ce929d0e0e4736";
        var output = new MemoryStream();
        var stream = new CodedOutputStream(output);
        entry.WriteTo(stream);
        stream.WriteTag(900, WireFormat.WireType.LengthDelimited);
        stream.WriteString("unknown-narrative-marker");
        stream.Flush();
        var withUnknown = RecordEntry.Parser.ParseFrom(output.ToArray());

        var view = RecordEntries.ForSupport(withUnknown);

        var bytes = Encoding.UTF8.GetString(view.ToByteArray());
        Assert.DoesNotContain("unknown-narrative-marker", bytes);
        Assert.DoesNotContain("narrative", bytes);
        Assert.Equal("", view.Summary);
        Assert.Null(view.Meeting);
        Assert.Equal("", view.Actor.Role);
        Assert.Equal((RecordEntryKind.MeetingMinutes, Stage.SeniorManagers, "4bf92f3577b34da6a3ce929d0e0e4736"), (view.Kind, view.Stage, view.TraceId));
    }
}

public class RecordVerificationTableTests
{
    private const string ChallengeId = "01JD0000000000000000000000";
    private static readonly RecordCheckpoints Keys = new(Enumerable.Range(0, 32).Select(i => (byte)i).ToArray());

    private static List<RecordEntry> Chain(int length)
    {
        var entries = new List<RecordEntry>();
        for (var i = 1; i <= length; i++)
            entries.Add(RecordChain.Seal(new RecordEntry { Name = $"e{i}", Sequence = i, Summary = $"s{i}" }, entries.Count == 0 ? "" : entries[^1].Hash));
        return entries;
    }

    private static RecordVerification Verify(List<RecordEntry> entries, RecordEntry sealedLast) =>
        RecordChain.Verify(ChallengeId, entries, new RecordHead(sealedLast.Sequence, sealedLast.Hash), Keys.Seal(ChallengeId, sealedLast.Sequence, sealedLast.Hash), Keys, recordOpened: true);

    [Fact]
    public void An_intact_record_is_intact()
    {
        var entries = Chain(4);
        var result = Verify(entries, entries[^1]);
        Assert.True(result.Intact);
        Assert.Equal(CheckpointStatus.Valid, result.Checkpoint);
    }

    [Fact]
    public void A_chain_that_is_unbroken_but_short_of_its_head_is_not_intact()
    {
        var entries = Chain(4);
        var last = entries[^1];
        entries.RemoveAt(3);
        Assert.Null(RecordChain.FirstBroken(entries));

        var result = Verify(entries, last);

        Assert.False(result.Intact);
        Assert.Equal(3, result.MissingAfterSequence);
    }

    [Fact]
    public void A_checkpoint_of_another_challenge_does_not_vouch_for_this_one()
    {
        var entries = Chain(2);
        var foreign = Keys.Seal("01JD0000000000000000000001", 2, entries[^1].Hash)!;
        var result = RecordChain.Verify(ChallengeId, entries, new RecordHead(2, entries[^1].Hash), foreign, Keys, recordOpened: true);
        Assert.Equal(CheckpointStatus.Forged, result.Checkpoint);
        Assert.False(result.Intact);
    }

    [Fact]
    public void Removing_the_narrative_alone_breaks_its_content_hash()
    {
        var entries = Chain(3);
        entries[1].Summary = "";
        Assert.Equal("e2", RecordChain.FirstBroken(entries)?.Name);
    }
}
