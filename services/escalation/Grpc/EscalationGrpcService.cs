using Disputes.Procedure;
using Disputes.WorkingDays;
using Disputes.Escalation.Application;
using Disputes.Escalation.Domain;
using Disputes.Escalation.Storage;
using Disputes.ServiceDefaults.Grpc;
using Disputes.ServiceDefaults.Identity;
using Disputes.V1;
using Grpc.Core;

namespace Disputes.Escalation.Grpc;

/// <summary>A challenge's escalation, the lists of overdue and due-soon escalations, and the independent chair.</summary>
public sealed partial class EscalationGrpcService(
    EscalationStore store,
    EscalationWriter writer,
    EscalationLifecycle lifecycle,
    ChairRotation rotation,
    DirectoryStore directory,
    DirectoryCommands commands,
    PolicyStore policies,
    WorkingDayCalendar calendar,
    RecordWitnessStore witnesses,
    TimeProvider time) : EscalationService.EscalationServiceBase
{
    /// <summary>The most index entries one list call reads, so a caller who sees few escalations still gets an answer quickly.</summary>
    private const int MaxScanPerPage = 1000;

    public override async Task<V1.Escalation> GetEscalation(GetEscalationRequest request, ServerCallContext context)
    {
        var id = ResourceNames.ParseChallenge(request.Name, "name", "/escalation");
        DisputeTelemetry.TagDispute(id);
        // Not found also while the raised event is on its way: the caller retries.
        var stored = await store.GetAsync(id) ?? throw RpcErrors.NotFound(request.Name);
        var view = DisputeAccess.ViewFor(context.GetCaller(), EscalationViews.PartiesOf(stored.Facts, stored.Escalation));
        return view == DisputeView.None
            ? throw RpcErrors.PermissionDenied($"The caller's agency is not a party to {request.Name}.")
            : EscalationViews.For(view, stored.Escalation);
    }

    public override async Task<ListOverdueEscalationsResponse> ListOverdueEscalations(ListOverdueEscalationsRequest request, ServerCallContext context)
    {
        var (escalations, next) = await ListAsync(EscalationIndex.Overdue, request.PageSize, request.PageToken, request.AgencyId,
            from: null, to: null, context.GetCaller());
        return new ListOverdueEscalationsResponse { Escalations = { escalations }, NextPageToken = next };
    }

    public override async Task<ListDueSoonEscalationsResponse> ListDueSoonEscalations(ListDueSoonEscalationsRequest request, ServerCallContext context)
    {
        var within = request.WithinWorkingDays switch
        {
            0 => 2,
            < 0 or > 20 => throw RpcErrors.InvalidArgument("within_working_days", "must be between 1 and 20 (0 for the default of 2)"),
            var days => days,
        };
        var now = time.GetUtcNow();
        var until = calendar.DueAfter(NodaTime.Instant.FromDateTimeOffset(now), within).ToDateTimeOffset();
        var (escalations, next) = await ListAsync(EscalationIndex.Due, request.PageSize, request.PageToken, request.AgencyId,
            from: EscalationStore.IndexPosition(now), to: EscalationStore.IndexPosition(until) + "|~", context.GetCaller());
        return new ListDueSoonEscalationsResponse { Escalations = { escalations }, NextPageToken = next };
    }

    public override async Task<V1.Escalation> AppointIndependentChair(AppointIndependentChairRequest request, ServerCallContext context)
    {
        var caller = context.GetCaller();
        if (!caller.HasRole(DisputeRoles.Partnership))
            throw RpcErrors.PermissionDenied("Only the partnership appoints an independent chair.");
        var violations = new FieldViolations();
        var id = TryParse(() => ResourceNames.ParseChallenge(request.Name, "name", "/escalation"), violations);
        string? chairAgency = null, chairId = null;
        if (request.Professional.Length > 0)
        {
            if (DirectoryNames.TryParseProfessional(request.Professional, out var a, out var p))
                (chairAgency, chairId) = (a, p);
            else
                violations.Add("professional", "must be a chair's name, \"agencies/{agency}/professionals/{professional}\", or empty to let the service choose");
        }
        violations.Optional("etag", request.Etag, 64);
        violations.ThrowIfAny();
        DisputeTelemetry.TagDispute(id!);

        var before = await store.GetAsync(id!) ?? throw RpcErrors.NotFound(request.Name);
        var snapshot = await directory.SnapshotAsync();
        var now = time.GetUtcNow();
        Professional? chair;
        if (chairId is not null)
        {
            chair = snapshot.Find(chairAgency!, chairId);
            Refuse(request.Name, before.Escalation, request.Etag, chair);
            if (IndependentChairs.CheckNamed(chair, before.Facts, snapshot, now) is { } refusal)
                throw RpcErrors.FailedPrecondition(request.Professional, refusal.Type, refusal.Description);
        }
        else
        {
            Refuse(request.Name, before.Escalation, request.Etag, null);
            if (before.Escalation.IndependentChair is not null)
                return before.Escalation;
            chair = await rotation.TakeNextAsync(last => IndependentChairs.Choose(before.Facts, snapshot, last, now));
            if (chair is null)
            {
                // Alerted to the partnership, never dropped.
                const string detail = "no available independent chair from an agency not involved";
                await writer.UpdateAsync(id!, (current, _, _) => lifecycle.ChairGap(current.Escalation, detail, now));
                throw RpcErrors.FailedPrecondition(request.Name, "NO_ELIGIBLE_CHAIR",
                    "No independent chair in the pool is available and from an agency not involved; the gap was alerted to the partnership.");
            }
        }
        var appointee = chair ?? throw RpcErrors.NotFound(request.Professional);
        if (before.Escalation.IndependentChair is { } appointed && appointed.ProfessionalId == chairId && appointed.AgencyId == chairAgency)
            return before.Escalation;

        var appointedBy = new Party { AgencyId = caller.AgencyId, ProfessionalId = caller.ProfessionalId, Role = DisputeRoles.Partnership };
        Exception? refused = null;
        var result = await writer.UpdateAsync(id!, (current, _, _) =>
        {
            try
            {
                Refuse(request.Name, current.Escalation, request.Etag, appointee);
            }
            catch (RpcException ex)
            {
                refused = ex;
                return null;
            }
            return lifecycle.AppointChair(current.Escalation, appointee, appointedBy, now);
        }) ?? throw RpcErrors.NotFound(request.Name);
        if (refused is not null)
            throw refused;
        if (chairId is not null)
            await rotation.AppointedAsync(appointee.Name);
        return result;
    }

    /// <summary>The preconditions of an appointment: a current etag, an open escalation at stage 4, no other chair yet.</summary>
    private static void Refuse(string name, V1.Escalation escalation, string etag, Professional? chair)
    {
        if (etag.Length > 0 && etag != escalation.Etag)
            throw RpcErrors.StaleEtag(name);
        if (escalation.CloseTime is not null)
            throw RpcErrors.FailedPrecondition(name, "CLOSED", $"{name} is closed.");
        if (escalation.Stage != Stage.SafeguardingPartnership)
            throw RpcErrors.FailedPrecondition(name, "STAGE", "An independent chair is appointed at stage 4 (the Safeguarding Children Partnership) only.");
        if (escalation.IndependentChair is { } appointed && chair is not null
            && (appointed.AgencyId != DirectoryNames.AgencyIdOf(chair.Name) || appointed.ProfessionalId != DirectoryNames.ProfessionalIdOf(chair.Name)))
            throw RpcErrors.FailedPrecondition(name, "CHAIR_APPOINTED", "An independent chair is already appointed to this dispute.");
    }

    private async Task<(IReadOnlyList<V1.Escalation> Escalations, string NextPageToken)> ListAsync(EscalationIndex index,
        int pageSize, string pageToken, string agencyId, string? from, string? to, Caller caller)
    {
        var size = PageTokens.SizeOf(pageSize);
        var after = PageTokens.Decode(pageToken);
        if (after is not null && !after.Contains('|'))
            throw RpcErrors.InvalidArgument("page_token", "is not a page token this API returned");
        if (agencyId.Length > 0 && !DirectoryNames.IsAgencyId(agencyId))
            throw RpcErrors.InvalidArgument("agency_id", "must be an agency id");
        var seesAll = DisputeAccess.SeesAllDisputes(caller);
        if (agencyId.Length > 0 && !seesAll && agencyId != caller.AgencyId)
            throw RpcErrors.PermissionDenied("Only the partnership lists another agency's escalations.");

        var page = new List<V1.Escalation>(size);
        var position = after;
        var scanned = 0;
        var exhausted = false;
        while (page.Count < size && scanned < MaxScanPerPage)
        {
            var members = await store.PageIndexAsync(index, position ?? from, to, Math.Min(100, MaxScanPerPage - scanned),
                inclusiveStart: position is null);
            if (members.Count == 0)
            {
                exhausted = true;
                break;
            }
            var stored = await store.GetManyAsync(members.Select(EscalationStore.ChallengeIdOfMember).ToArray());
            for (var i = 0; i < members.Count && page.Count < size; i++)
            {
                position = members[i];
                scanned++;
                if (stored[i] is not { } entry)
                    continue;
                if (agencyId.Length > 0 && entry.Facts.RaisingParty.AgencyId != agencyId && entry.Facts.ReceivingParty.AgencyId != agencyId)
                    continue;
                var view = DisputeAccess.ViewFor(caller, EscalationViews.PartiesOf(entry.Facts, entry.Escalation));
                if (view != DisputeView.None)
                    page.Add(EscalationViews.For(view, entry.Escalation));
            }
        }
        return (page, exhausted || position is null ? "" : PageTokens.Encode(position));
    }

    private static string? TryParse(Func<string> parse, FieldViolations violations)
    {
        try
        {
            return parse();
        }
        catch (RpcException ex) when (ex.StatusCode == StatusCode.InvalidArgument)
        {
            foreach (var v in ex.GetRpcStatus()?.GetDetail<Google.Rpc.BadRequest>()?.FieldViolations ?? [])
                violations.Add(v.Field, v.Description);
            return null;
        }
    }
}
