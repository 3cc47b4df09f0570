using Disputes.ServiceDefaults.Grpc;
using Disputes.V1;
using Disputes.V1.Events;
using Google.Protobuf.WellKnownTypes;
using NodaTime;

namespace Disputes.Escalation.Domain;

/// <summary>Who is responsible and by when, from the policy a challenge was raised under.</summary>
public sealed class EscalationPlanner(WorkingDayCalendar calendar)
{
    /// <summary>Stage 1 begins: the receiving side must acknowledge, then the two professionals discuss.</summary>
    public V1.Escalation Open(ChallengeRaised raised, TimescalePolicy policy)
    {
        var start = Instant.FromDateTimeOffset(raised.OccurTime.ToDateTimeOffset());
        var iroRequired = raised.Child is { OnChildProtectionPlan: true } or { LookedAfter: true };
        var escalation = new V1.Escalation
        {
            Name = $"{raised.Challenge}/escalation",
            Stage = Stage.ProfessionalDiscussion,
            Policy = TimescalePolicies.VersionName(policy),
            AcknowledgementDueTime = Due(start, policy.AcknowledgementWorkingDays),
            StageDueTime = Due(start, TimescalePolicies.WorkingDaysFor(policy, Stage.ProfessionalDiscussion)),
            IroNotificationRequired = iroRequired,
            ResponsibleParties =
            {
                new ResponsibleParty { Party = raised.RaisingParty, Responsibility = Responsibility.Referrer },
                new ResponsibleParty { Party = raised.ReceivingParty, Responsibility = Responsibility.ReceivingProfessional },
            },
            UpdateTime = raised.OccurTime,
            ChallengeVersion = raised.Version,
        };
        if (iroRequired && policy.IroTotalWorkingDays > 0)
            escalation.OverallDueTime = Due(start, policy.IroTotalWorkingDays);
        escalation.Etag = Etags.Of(escalation.ChallengeVersion);
        return escalation;
    }

    private Timestamp Due(Instant start, int workingDays) =>
        Timestamp.FromDateTimeOffset(calendar.DueAfter(start, workingDays).ToDateTimeOffset());
}
