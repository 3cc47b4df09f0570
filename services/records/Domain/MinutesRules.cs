using Disputes.Procedure;
using Disputes.ServiceDefaults.Identity;
using Disputes.V1;

namespace Disputes.Records.Domain;

public enum MinutesDecisionKind
{
    /// <summary>An entry of the record at once.</summary>
    Final,
    /// <summary>Kept outside the chain until the appointed chair approves it.</summary>
    Draft,
    /// <summary>The caller may not record these minutes.</summary>
    PermissionDenied,
    /// <summary>The dispute is not at a stage whose meetings are minuted here, or is closed.</summary>
    FailedPrecondition,
}

public sealed record MinutesDecision(MinutesDecisionKind Kind, string Reason = "", Party? Chair = null);

/// <summary>
/// Who may record the minutes of a meeting: at stage 3 (the professionals meeting) a senior
/// manager of a party agency; at stage 4 (the resolution meeting) the appointed independent
/// chair, matched on the caller's token against the appointment the record holds (never the
/// chair a request names), with the partnership able to draft them for the chair's approval.
/// </summary>
public static class MinutesRules
{
    public static MinutesDecision ToRecord(Caller caller, DisputeRecord record)
    {
        if (record.IsClosed)
            return new(MinutesDecisionKind.FailedPrecondition, "The challenge is closed; its record takes corrections only.");
        switch (record.Stage)
        {
            case Stage.SeniorManagers:
                var ofParty = caller.AgencyId.Length > 0 && (caller.AgencyId == record.RaisingAgencyId || caller.AgencyId == record.ReceivingAgencyId);
                return ofParty && caller.HasRole(DisputeRoles.SeniorManager)
                    ? new(MinutesDecisionKind.Final)
                    : new(MinutesDecisionKind.PermissionDenied, "At stage 3 the minutes are recorded by a senior manager of an agency party to the challenge.");
            case Stage.SafeguardingPartnership:
                if (IsAppointedChair(caller, record))
                    return new(MinutesDecisionKind.Final, Chair: record.Chair);
                if (caller.HasRole(DisputeRoles.Partnership))
                    return new(MinutesDecisionKind.Draft);
                return new(MinutesDecisionKind.PermissionDenied,
                    "At stage 4 the minutes are recorded by the appointed independent chair, or drafted by the partnership for the chair's approval.");
            default:
                return new(MinutesDecisionKind.FailedPrecondition,
                    "Meetings are minuted here at stage 3 (the professionals meeting) and stage 4 (the resolution meeting); earlier discussions are recorded on the challenge.");
        }
    }

    /// <summary>Only the appointed chair approves draft minutes, and only while the dispute is at stage 4.</summary>
    public static MinutesDecision ToApprove(Caller caller, DisputeRecord record)
    {
        if (record.IsClosed)
            return new(MinutesDecisionKind.FailedPrecondition, "The challenge is closed; its record takes corrections only.");
        if (record.Stage != Stage.SafeguardingPartnership)
            return new(MinutesDecisionKind.FailedPrecondition, "Draft minutes are approved at stage 4.");
        return IsAppointedChair(caller, record)
            ? new(MinutesDecisionKind.Final, Chair: record.Chair)
            : new(MinutesDecisionKind.PermissionDenied, "Only the appointed independent chair approves the minutes of the resolution meeting.");
    }

    /// <summary>The parties to an entry correct what their agency said; the partnership corrects anything.</summary>
    public static bool MayCorrect(Caller caller, RecordEntry corrected) =>
        caller.HasRole(DisputeRoles.Partnership)
        || (corrected.Actor is { AgencyId.Length: > 0 } actor && actor.AgencyId == caller.AgencyId && !caller.HasRole(DisputeRoles.Support));

    /// <summary>The chair appointed: their professional id is their agency's own, so the agency must match too.</summary>
    public static bool IsAppointedChair(Caller caller, DisputeRecord record) =>
        record.ChairProfessionalId.Length > 0
        && caller.ProfessionalId == record.ChairProfessionalId
        && caller.AgencyId == record.ChairAgencyId
        && caller.HasRole(DisputeRoles.IndependentChair);
}
