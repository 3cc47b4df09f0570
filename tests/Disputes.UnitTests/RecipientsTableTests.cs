using Disputes.Notification.Domain;
using Disputes.Procedure;
using Disputes.V1;
using Disputes.V1.Events;
using Google.Protobuf;
using Google.Protobuf.Reflection;
using Google.Protobuf.WellKnownTypes;

namespace Disputes.UnitTests;

/// <summary>
/// The recipients table as a matrix: every event notification consumes, for every
/// combination of the child's flags, gives exactly the recipients and notices listed here.
/// </summary>
public class RecipientsTableTests
{
    private const string Id = "01JD0000000000000000000000";
    private const string Partnership = "safeguarding-partnership";
    private static readonly Party Referrer = P("police", "pc-101");
    private static readonly Party Receiver = P("childrens-social-care", "sw-7");
    private static readonly Party RaisingLineManager = P("police", "sgt-5");
    private static readonly Party ReceivingLineManager = P("childrens-social-care", "tm-3");
    private static readonly Party Iro = P("childrens-social-care", "iro-9");
    private static readonly Party RaisingSenior = P("police", "insp-2");
    private static readonly Party ReceivingSenior = P("childrens-social-care", "hos-1");
    private static readonly Party Contact = P("safeguarding-partnership", "scp-1");
    private static readonly Party Chair = P("health", "chair-4");

    public enum ChildFlags { None, ChildProtectionPlan, LookedAfter, Both }

    private sealed record Row(string Event, MessageDescriptor Descriptor, Func<DisputeFacts, IReadOnlyList<Notice>> Table,
        Func<bool, (RecipientRole Role, string Professional, string Notice)[]> Expected);

    private static readonly Row[] Matrix =
    [
        new("raised", ChallengeRaised.Descriptor, f => RecipientsTable.For(TestEvents.Raised(Id), f), _ =>
        [
            (RecipientRole.Referrer, "pc-101", RecipientsTable.ChallengeReceived),
            (RecipientRole.ReceivingProfessional, "sw-7", RecipientsTable.ChallengeToAcknowledge),
        ]),
        new("acknowledged", ChallengeAcknowledged.Descriptor, f => RecipientsTable.For(new ChallengeAcknowledged { Challenge = $"challenges/{Id}", Actor = Receiver, Note = "NARRATIVE" }, f), _ =>
        [
            (RecipientRole.Referrer, "pc-101", RecipientsTable.ChallengeAcknowledged),
        ]),
        new("discussion at stage 1", DiscussionRecorded.Descriptor, f => RecipientsTable.For(new DiscussionRecorded { Challenge = $"challenges/{Id}", Stage = Stage.ProfessionalDiscussion, Summary = "NARRATIVE" }, f), _ =>
        [
            (RecipientRole.Referrer, "pc-101", RecipientsTable.DiscussionRecorded),
        ]),
        new("review justified", ChallengeReviewed.Descriptor, f => RecipientsTable.For(new ChallengeReviewed { Challenge = $"challenges/{Id}", Justified = true, Reasons = "REASONS", State = ChallengeState.InDiscussion }, f), _ =>
        [
            (RecipientRole.Referrer, "pc-101", RecipientsTable.ReviewJustified),
        ]),
        new("review not justified", ChallengeReviewed.Descriptor, f => RecipientsTable.For(new ChallengeReviewed { Challenge = $"challenges/{Id}", Justified = false, Reasons = "REASONS", State = ChallengeState.ClosedNotJustified }, f), _ =>
        [
            (RecipientRole.Referrer, "pc-101", RecipientsTable.ReviewNotJustified),
            (RecipientRole.ReceivingProfessional, "sw-7", RecipientsTable.ReviewNotJustified),
        ]),
        new("escalated to stage 2", ChallengeEscalated.Descriptor, f => RecipientsTable.For(new ChallengeEscalated { Challenge = $"challenges/{Id}", FromStage = Stage.ProfessionalDiscussion, ToStage = Stage.LineManagers, Reason = "NARRATIVE" }, f), _ =>
        [
            (RecipientRole.Referrer, "pc-101", RecipientsTable.ChallengeEscalated),
        ]),
        new("escalated automatically to tier 2", ChallengeEscalated.Descriptor, f => RecipientsTable.For(new ChallengeEscalated { Challenge = $"challenges/{Id}", FromStage = Stage.SeniorManagers, ToStage = Stage.SeniorManagers, FromManagementTier = 1, ManagementTier = 2, Automatic = true }, f), _ =>
        [
            (RecipientRole.Referrer, "pc-101", RecipientsTable.ChallengeEscalated),
        ]),
        new("routed at stage 1", ResponsiblePartiesRouted.Descriptor, f => RecipientsTable.For(Routed(Stage.ProfessionalDiscussion, 0, f.IroRequired,
            (Referrer, Responsibility.Referrer), (Receiver, Responsibility.ReceivingProfessional)), f), _ => []),
        new("routed at stage 2", ResponsiblePartiesRouted.Descriptor, f => RecipientsTable.For(Routed(Stage.LineManagers, 0, f.IroRequired,
            (Referrer, Responsibility.Referrer), (RaisingLineManager, Responsibility.RaisingLineManager),
            (ReceivingLineManager, Responsibility.ReceivingLineManager), (Iro, Responsibility.IndependentReviewingOfficer)), f), flagged =>
        [
            (RecipientRole.LineManager, "sgt-5", RecipientsTable.ResponsibleAtStage),
            (RecipientRole.LineManager, "tm-3", RecipientsTable.ResponsibleAtStage),
            .. flagged ? new[] { (RecipientRole.IndependentReviewingOfficer, "iro-9", RecipientsTable.IroNotified) } : [],
        ]),
        new("routed at stage 3", ResponsiblePartiesRouted.Descriptor, f => RecipientsTable.For(Routed(Stage.SeniorManagers, 1, f.IroRequired,
            (Referrer, Responsibility.Referrer), (RaisingSenior, Responsibility.RaisingSeniorManager), (ReceivingSenior, Responsibility.ReceivingSeniorManager)), f), _ =>
        [
            (RecipientRole.SeniorManager, "insp-2", RecipientsTable.ResponsibleAtStage),
            (RecipientRole.SeniorManager, "hos-1", RecipientsTable.ResponsibleAtStage),
        ]),
        new("routed at stage 4", ResponsiblePartiesRouted.Descriptor, f => RecipientsTable.For(Routed(Stage.SafeguardingPartnership, 0, f.IroRequired,
            (Referrer, Responsibility.Referrer), (Contact, Responsibility.PartnershipContact), (Chair, Responsibility.IndependentChair)), f), _ =>
        [
            (RecipientRole.Partnership, "scp-1", RecipientsTable.ResponsibleAtStage),
            (RecipientRole.IndependentChair, "chair-4", RecipientsTable.ResponsibleAtStage),
        ]),
        new("routing gap", RoutingGapFound.Descriptor, f => RecipientsTable.For(new RoutingGapFound { Challenge = $"challenges/{Id}", Stage = Stage.SeniorManagers, ManagementTier = 3, Responsibility = Responsibility.ReceivingSeniorManager, AgencyId = "childrens-social-care" }, f, Partnership), _ =>
        [
            (RecipientRole.Partnership, "", RecipientsTable.RoutingGap),
        ]),
        new("chair appointed", IndependentChairAppointed.Descriptor, f => RecipientsTable.For(new IndependentChairAppointed { Challenge = $"challenges/{Id}", Chair = Chair, AppointedBy = Contact }, f), _ =>
        [
            (RecipientRole.Referrer, "pc-101", RecipientsTable.ChairAppointed),
            (RecipientRole.IndependentChair, "chair-4", RecipientsTable.AppointedAsChair),
        ]),
        new("minutes recorded", MinutesRecorded.Descriptor, f => RecipientsTable.For(new MinutesRecorded { Challenge = $"challenges/{Id}", Stage = Stage.SafeguardingPartnership, Chair = Chair, Minutes = $"challenges/{Id}/entries/7" }, f), _ =>
        [
            (RecipientRole.Referrer, "pc-101", RecipientsTable.MinutesRecorded),
        ]),
        new("draft minutes", MinutesRecorded.Descriptor, f => RecipientsTable.For(new MinutesRecorded { Challenge = $"challenges/{Id}", Stage = Stage.SafeguardingPartnership, Chair = Chair, Draft = true }, f), _ =>
        [
            (RecipientRole.IndependentChair, "chair-4", RecipientsTable.MinutesToApprove),
        ]),
        new("reminder", TimescaleReminderDue.Descriptor, f => RecipientsTable.For(new TimescaleReminderDue { Challenge = $"challenges/{Id}", Stage = Stage.ProfessionalDiscussion, Timescale = "acknowledgement", DueTime = Due,
            ResponsibleParties = { Rp(Referrer, Responsibility.Referrer), Rp(Receiver, Responsibility.ReceivingProfessional) } }, f), _ =>
        [
            (RecipientRole.ReceivingProfessional, "sw-7", RecipientsTable.TimescaleReminder),
        ]),
        new("missed", TimescaleMissed.Descriptor, f => RecipientsTable.For(new TimescaleMissed { Challenge = $"challenges/{Id}", Stage = Stage.LineManagers, Timescale = "stage", DueTime = Due,
            ResponsibleParties = { Rp(RaisingLineManager, Responsibility.RaisingLineManager), Rp(ReceivingLineManager, Responsibility.ReceivingLineManager) },
            NextTier = { Rp(RaisingSenior, Responsibility.RaisingSeniorManager), Rp(ReceivingSenior, Responsibility.ReceivingSeniorManager) } }, f), _ =>
        [
            (RecipientRole.LineManager, "sgt-5", RecipientsTable.TimescaleMissed),
            (RecipientRole.LineManager, "tm-3", RecipientsTable.TimescaleMissed),
            (RecipientRole.SeniorManager, "insp-2", RecipientsTable.TimescaleMissedNextTier),
            (RecipientRole.SeniorManager, "hos-1", RecipientsTable.TimescaleMissedNextTier),
        ]),
        new("resolved", ChallengeResolved.Descriptor, f => RecipientsTable.For(new ChallengeResolved { Challenge = $"challenges/{Id}", Stage = Stage.SafeguardingPartnership,
            Resolution = new Resolution { Kind = ResolutionKind.PartnershipRecommendations, Summary = "OUTCOME" } }, f), _ =>
        [
            (RecipientRole.Referrer, "pc-101", RecipientsTable.ChallengeResolved),
            (RecipientRole.ReceivingProfessional, "sw-7", RecipientsTable.ChallengeResolved),
        ]),
        new("withdrawn", ChallengeWithdrawn.Descriptor, f => RecipientsTable.For(new ChallengeWithdrawn { Challenge = $"challenges/{Id}", Stage = Stage.LineManagers, Reason = "NARRATIVE" }, f), _ =>
        [
            (RecipientRole.Referrer, "pc-101", RecipientsTable.ChallengeWithdrawn),
            (RecipientRole.ReceivingProfessional, "sw-7", RecipientsTable.ChallengeWithdrawn),
        ]),
    ];

    public static TheoryData<string, ChildFlags> Cases()
    {
        var data = new TheoryData<string, ChildFlags>();
        foreach (var row in Matrix)
        {
            foreach (var flags in System.Enum.GetValues<ChildFlags>())
                data.Add(row.Event, flags);
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Each_event_tells_exactly_the_recipients_of_the_table(string @event, ChildFlags flags)
    {
        var row = Matrix.Single(r => r.Event == @event);
        var facts = Facts(flags);

        var notices = row.Table(facts);

        Assert.Equal(row.Expected(facts.IroRequired), notices.Select(n => (n.Role, n.Recipient.ProfessionalId, n.Name)).ToArray());
        Assert.All(notices, n =>
        {
            Assert.Contains($"challenges/{Id}", n.Message);
            Assert.NotEqual(Stage.Unspecified, n.Stage);
            Assert.NotEmpty(n.Recipient.AgencyId);
            foreach (var secret in new[] { "child-ref-42", "NARRATIVE", TestEvents.Raised().Subject, TestEvents.Raised().UnsafePracticeReason, TestEvents.Raised().DesiredChange, TestEvents.Raised().ImpactOnChild })
                Assert.DoesNotContain(secret, n.Message);
        });
    }

    [Fact]
    public void Every_event_notification_consumes_is_in_the_matrix()
    {
        var consumed = IntegrationEvents.All
            // RecordHeadAdvanced is for the witness (escalation), never for a person.
            .Where(d => d != AutoEscalationDue.Descriptor && d != NotificationDelivered.Descriptor && d != RecordHeadAdvanced.Descriptor)
            .Select(d => d.FullName)
            .ToHashSet();
        Assert.Equal(consumed.Order(), Matrix.Select(r => r.Descriptor.FullName).Distinct().Order());
    }

    [Fact]
    public void The_reasons_of_a_review_that_closes_the_challenge_go_to_the_referrer_only()
    {
        var notices = RecipientsTable.For(new ChallengeReviewed { Challenge = $"challenges/{Id}", Justified = false, Reasons = "REASONS" }, Facts(ChildFlags.None));

        Assert.Contains("REASONS", Assert.Single(notices, n => n.Role == RecipientRole.Referrer).Message);
        Assert.All(notices.Where(n => n.Role != RecipientRole.Referrer), n => Assert.DoesNotContain("REASONS", n.Message));
    }

    [Fact]
    public void The_referrer_hears_the_outcome_with_its_resolution_and_every_stage_and_tier_it_reaches()
    {
        var facts = Facts(ChildFlags.None);
        var resolved = RecipientsTable.For(new ChallengeResolved { Challenge = $"challenges/{Id}", Stage = Stage.LineManagers,
            Resolution = new Resolution { Kind = ResolutionKind.AgreedPlanOfAction, Summary = "OUTCOME" } }, facts);
        Assert.Contains("OUTCOME", Assert.Single(resolved, n => n.Role == RecipientRole.Referrer).Message);
        Assert.DoesNotContain("OUTCOME", Assert.Single(resolved, n => n.Role == RecipientRole.ReceivingProfessional).Message);

        var tier = Assert.Single(RecipientsTable.For(new ChallengeEscalated { Challenge = $"challenges/{Id}", FromStage = Stage.SeniorManagers, ToStage = Stage.SeniorManagers, FromManagementTier = 1, ManagementTier = 2 }, facts));
        Assert.Contains("stage 3 (senior managers, tier 2)", tier.Message);
        Assert.Equal(Stage.SeniorManagers, tier.Stage);
    }

    [Fact]
    public void An_iro_listed_for_a_child_with_no_flag_is_not_told_but_one_required_by_the_routing_is()
    {
        var facts = Facts(ChildFlags.None);
        Assert.DoesNotContain(RecipientsTable.For(Routed(Stage.LineManagers, 0, false, (Iro, Responsibility.IndependentReviewingOfficer)), facts),
            n => n.Role == RecipientRole.IndependentReviewingOfficer);
        Assert.Contains(RecipientsTable.For(Routed(Stage.LineManagers, 0, true, (Iro, Responsibility.IndependentReviewingOfficer)), facts),
            n => n.Role == RecipientRole.IndependentReviewingOfficer);
    }

    [Fact]
    public void A_person_listed_twice_is_told_once_and_unknown_fields_of_a_party_are_not_kept()
    {
        var party = P("police", "sgt-5");
        party.MergeFrom(new UnknownFieldCarrier().ToByteArray());
        var notices = RecipientsTable.For(Routed(Stage.LineManagers, 0, false,
            (party, Responsibility.RaisingLineManager), (RaisingLineManager, Responsibility.ReceivingLineManager)), Facts(ChildFlags.None));

        var notice = Assert.Single(notices);
        Assert.Empty(notice.Recipient.ToByteArray().Except(RaisingLineManager.ToByteArray()));
        Assert.Equal(RaisingLineManager.CalculateSize(), notice.Recipient.CalculateSize());
    }

    private static DisputeFacts Facts(ChildFlags flags) =>
        DisputeFacts.From(Id, TestEvents.Raised(Id,
            onChildProtectionPlan: flags is ChildFlags.ChildProtectionPlan or ChildFlags.Both,
            lookedAfter: flags is ChildFlags.LookedAfter or ChildFlags.Both));

    private static readonly Timestamp Due = Timestamp.FromDateTimeOffset(new DateTimeOffset(2026, 11, 24, 17, 0, 0, TimeSpan.Zero));

    private static Party P(string agency, string professional) => new() { AgencyId = agency, ProfessionalId = professional, Role = "role" };

    private static ResponsibleParty Rp(Party party, Responsibility responsibility) => new() { Party = party, Responsibility = responsibility };

    private static ResponsiblePartiesRouted Routed(Stage stage, int tier, bool iroRequired, params (Party Party, Responsibility Responsibility)[] parties) => new()
    {
        Challenge = $"challenges/{Id}",
        Stage = stage,
        ManagementTier = tier,
        IndependentReviewingOfficerRequired = iroRequired,
        ResponsibleParties = { parties.Select(p => Rp(p.Party, p.Responsibility)) },
    };

    /// <summary>A message whose field 99 no Party defines: parsed into a Party, it lands in its unknown fields.</summary>
    private sealed class UnknownFieldCarrier
    {
        public byte[] ToByteArray()
        {
            using var stream = new MemoryStream();
            var output = new CodedOutputStream(stream);
            output.WriteTag(99, WireFormat.WireType.LengthDelimited);
            output.WriteString("smuggled");
            output.Flush();
            return stream.ToArray();
        }
    }
}
