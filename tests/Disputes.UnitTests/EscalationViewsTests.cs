using Disputes.Procedure;
using Disputes.WorkingDays;
using Disputes.Escalation.Domain;
using Disputes.ServiceDefaults.Identity;
using Disputes.V1;
using Google.Protobuf;
using static Disputes.UnitTests.EscalationDirectoryFixtures;

namespace Disputes.UnitTests;

/// <summary>Issue 6 finding 11: the support view of an escalation is an allowlist projection.</summary>
public class EscalationViewsTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 23, 10, 0, 1, TimeSpan.Zero);

    private static V1.Escalation Opened()
    {
        var raised = TestEvents.Raised(lookedAfter: true);
        raised.Child.LocalAuthorityId = "childrens-social-care";
        return new EscalationLifecycle(WorkingDayCalendar.EnglandAndWales).Open(raised, TimescalePolicies.Default, Directory(), Now).Escalation;
    }

    [Fact]
    public void Support_sees_ids_kinds_stages_and_times_but_not_job_titles_or_the_childs_flags()
    {
        var escalation = Opened();

        var view = EscalationViews.ForSupport(escalation);

        Assert.Equal(escalation.Name, view.Name);
        Assert.Equal(escalation.StageDueTime, view.StageDueTime);
        Assert.Equal(escalation.History.Count, view.History.Count);
        Assert.Equal(["pc-101", "sw-7"], view.ResponsibleParties.Select(p => p.Party.ProfessionalId));
        Assert.All(view.ResponsibleParties, p => Assert.Equal("", p.Party.Role));
        Assert.False(view.IroNotificationRequired);
        Assert.True(escalation.IroNotificationRequired);
    }

    [Fact]
    public void Fields_unknown_to_this_version_never_reach_support()
    {
        // A field this build does not know (number 999), as a newer writer might have stored it.
        var unknown = new CodedOutputStreamBuffer().With(999, "the child's name").ToArray();
        var escalation = V1.Escalation.Parser.ParseFrom(Opened().ToByteArray().Concat(unknown).ToArray());
        Assert.Contains("the child's name", System.Text.Encoding.UTF8.GetString(escalation.ToByteArray()));

        var view = EscalationViews.ForSupport(escalation);

        Assert.DoesNotContain("the child's name", System.Text.Encoding.UTF8.GetString(view.ToByteArray()));
    }

    [Fact]
    public void The_parties_come_from_escalations_own_facts_with_the_local_authority_and_the_appointed()
    {
        var raised = TestEvents.Raised(lookedAfter: true);
        raised.Child.LocalAuthorityId = "childrens-social-care";
        raised.Child.IroProfessionalId = "iro-2";
        var escalation = Opened();
        escalation.IndependentChair = new Party { AgencyId = "health", ProfessionalId = "chair-health" };

        var parties = EscalationViews.PartiesOf(DisputeFacts.From(raised), escalation);

        Assert.Equal(DisputeView.Full, DisputeAccess.ViewFor(new Caller("chair-health", "health", new HashSet<string> { "independent_chair" }), parties));
        Assert.Equal(DisputeView.Full, DisputeAccess.ViewFor(new Caller("iro-1", "childrens-social-care", new HashSet<string> { "iro" }), parties));
        Assert.Equal(DisputeView.None, DisputeAccess.ViewFor(new Caller("chair-education", "education", new HashSet<string> { "independent_chair" }), parties));
    }

    /// <summary>Writes raw protobuf fields, for a message carrying a field this build does not know.</summary>
    private sealed class CodedOutputStreamBuffer
    {
        private readonly MemoryStream _stream = new();

        public CodedOutputStreamBuffer With(int field, string value)
        {
            var output = new CodedOutputStream(_stream, leaveOpen: true);
            output.WriteTag(field, WireFormat.WireType.LengthDelimited);
            output.WriteString(value);
            output.Flush();
            return this;
        }

        public byte[] ToArray() => _stream.ToArray();
    }
}
