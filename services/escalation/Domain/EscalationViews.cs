using Disputes.Procedure;
using Disputes.V1;
using Disputes.V1.Events;

namespace Disputes.Escalation.Domain;

/// <summary>What of an escalation each caller may see (the permission table is <see cref="DisputeAccess"/>).</summary>
public static class EscalationViews
{
    /// <summary>The parties and appointed professionals who may read the dispute, from escalation's own facts.</summary>
    public static DisputeParties PartiesOf(ChallengeRaised facts, V1.Escalation escalation)
    {
        var appointed = AppointedProfessional.Of(facts.Child?.LocalAuthorityId, facts.Child?.IroProfessionalId, escalation.IndependentChair?.AgencyId, escalation.IndependentChair?.ProfessionalId);
        var localAuthority = DisputeFacts.IroRequired(facts) ? facts.Child?.LocalAuthorityId ?? "" : "";
        return new DisputeParties(facts.RaisingParty.AgencyId, facts.ReceivingParty.AgencyId, appointed, localAuthority);
    }

    public static V1.Escalation For(DisputeView view, V1.Escalation escalation) => view switch
    {
        DisputeView.Full => escalation,
        DisputeView.Support => ForSupport(escalation),
        _ => throw new ArgumentOutOfRangeException(nameof(view), view, "no view"),
    };

    /// <summary>
    /// Support sees ids, kinds, stages and times: an allowlist copy, so a field added later
    /// reaches support only when it is added here. The child's flags and people's job titles are left out.
    /// </summary>
    public static V1.Escalation ForSupport(V1.Escalation escalation)
    {
        var view = new V1.Escalation
        {
            Name = escalation.Name,
            Stage = escalation.Stage,
            ManagementTier = escalation.ManagementTier,
            Policy = escalation.Policy,
            AcknowledgementDueTime = escalation.AcknowledgementDueTime?.Clone(),
            StageDueTime = escalation.StageDueTime?.Clone(),
            OverallDueTime = escalation.OverallDueTime?.Clone(),
            Overdue = escalation.Overdue,
            IndependentChair = escalation.IndependentChair is null ? null : IdsOf(escalation.IndependentChair),
            UpdateTime = escalation.UpdateTime?.Clone(),
            Etag = escalation.Etag,
            ChallengeVersion = escalation.ChallengeVersion,
            Version = escalation.Version,
            CloseTime = escalation.CloseTime?.Clone(),
            AutoEscalationDueTime = escalation.AutoEscalationDueTime?.Clone(),
        };
        view.ResponsibleParties.Add(escalation.ResponsibleParties.Select(p => new ResponsibleParty
        {
            Party = p.Party is null ? null : IdsOf(p.Party),
            Responsibility = p.Responsibility,
        }));
        view.RemindersSent.Add(escalation.RemindersSent.Select(r => new TimescaleReminder
        {
            Timescale = r.Timescale, Stage = r.Stage, ManagementTier = r.ManagementTier, DueTime = r.DueTime?.Clone(), SendTime = r.SendTime?.Clone(),
        }));
        view.Breaches.Add(escalation.Breaches.Select(b => new TimescaleBreach
        {
            Timescale = b.Timescale, Stage = b.Stage, ManagementTier = b.ManagementTier, DueTime = b.DueTime?.Clone(), MissedTime = b.MissedTime?.Clone(),
        }));
        view.History.Add(escalation.History.Select(h => new EscalationHistoryEntry
        {
            Change = h.Change, Stage = h.Stage, ManagementTier = h.ManagementTier, ChallengeVersion = h.ChallengeVersion,
            OccurTime = h.OccurTime?.Clone(), Automatic = h.Automatic,
        }));
        return view;
    }

    private static Party IdsOf(Party party) => new() { AgencyId = party.AgencyId, ProfessionalId = party.ProfessionalId };
}
