using Disputes.Procedure;
using Disputes.WorkingDays;
using System.Globalization;
using Disputes.EventBus;
using Disputes.Records.Domain;
using Disputes.Records.Storage;
using Disputes.ServiceDefaults.Grpc;
using Disputes.ServiceDefaults.Identity;
using Disputes.V1;
using Disputes.V1.Events;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;

namespace Disputes.Records.Grpc;

public sealed class RecordsGrpcService(
    RecordStore store,
    RecordAccess access,
    AccessAuditLog audit,
    IntegrationEventFactory events,
    RecommendationStore recommendations,
    RetentionStore retention,
    Recording.RecordPurge purge,
    Witness.RecordWitnessClient witness,
    TimeProvider timeProvider) : RecordsService.RecordsServiceBase
{
    private const int MaxAppendAttempts = 64;

    public override async Task<ListRecordEntriesResponse> ListRecordEntries(ListRecordEntriesRequest request, ServerCallContext context)
    {
        var id = ResourceNames.ParseChallenge(request.Parent, "parent");
        DisputeTelemetry.TagDispute(id);
        var pageSize = PageTokens.SizeOf(request.PageSize);
        var skip = PageTokens.Decode(request.PageToken) is { } token
            ? long.TryParse(token, NumberStyles.None, CultureInfo.InvariantCulture, out var position) ? position
                : throw RpcErrors.InvalidArgument("page_token", "is not a page token this API returned")
            : 0;

        var caller = context.GetCaller();
        var (view, _) = await access.RequireViewAsync(id, request.Parent, caller);
        await audit.RecordAsync(caller, nameof(ListRecordEntries), id, request.Parent, view, DisputeTelemetry.CurrentTraceId());
        var entries = await store.ListAsync(id, skip, pageSize + 1);
        var response = new ListRecordEntriesResponse();
        response.Entries.AddRange(entries.Take(pageSize).Select(e => Project(e, view)));
        if (entries.Count > pageSize)
            response.NextPageToken = PageTokens.Encode((skip + pageSize).ToString(CultureInfo.InvariantCulture));
        return response;
    }

    public override async Task<RecordEntry> GetRecordEntry(GetRecordEntryRequest request, ServerCallContext context)
    {
        var (id, entryId) = RecordNames.Parse(request.Name, RecordNames.Entries, "name");
        DisputeTelemetry.TagDispute(id);
        var caller = context.GetCaller();
        var (view, _) = await access.RequireViewAsync(id, ResourceNames.Challenge(id), caller);
        await audit.RecordAsync(caller, nameof(GetRecordEntry), id, request.Name, view, DisputeTelemetry.CurrentTraceId());
        var entry = await store.GetAsync(id, entryId) ?? throw RpcErrors.NotFound(request.Name);
        return Project(entry, view);
    }

    public override async Task<VerifyRecordResponse> VerifyRecord(VerifyRecordRequest request, ServerCallContext context)
    {
        var id = ResourceNames.ParseChallenge(request.Parent, "parent");
        DisputeTelemetry.TagDispute(id);
        var caller = context.GetCaller();
        var (view, _) = await access.RequireViewAsync(id, request.Parent, caller);
        await audit.RecordAsync(caller, nameof(VerifyRecord), id, request.Parent, view, DisputeTelemetry.CurrentTraceId());

        return await VerifyAsync(id, context.CancellationToken);
    }

    public override async Task<Google.Api.HttpBody> ExportRecord(ExportRecordRequest request, ServerCallContext context)
    {
        var id = ResourceNames.ParseChallenge(request.Parent, "parent");
        if (request.Format == ExportFormat.Unspecified)
            throw RpcErrors.InvalidArgument("format", "must be EXPORT_FORMAT_JSON or EXPORT_FORMAT_PDF");
        DisputeTelemetry.TagDispute(id);
        var caller = context.GetCaller();
        var (view, _) = await access.RequireViewAsync(id, request.Parent, caller);
        await audit.RecordAsync(caller, nameof(ExportRecord), id, request.Parent, view, DisputeTelemetry.CurrentTraceId());

        var export = new RecordExport
        {
            Challenge = request.Parent,
            ExportTime = Timestamp.FromDateTimeOffset(timeProvider.GetUtcNow()),
            Verification = await VerifyAsync(id, context.CancellationToken),
        };
        export.Entries.AddRange((await store.ListAsync(id)).Select(e => Project(e, view)));
        return request.Format == ExportFormat.Pdf
            ? new Google.Api.HttpBody { ContentType = "application/pdf", Data = Google.Protobuf.ByteString.CopyFrom(ChronologyPdf.Write(export)) }
            : new Google.Api.HttpBody { ContentType = "application/json", Data = Google.Protobuf.ByteString.CopyFromUtf8(Google.Protobuf.JsonFormatter.Default.Format(export)) };
    }

    private async Task<VerifyRecordResponse> VerifyAsync(string id, CancellationToken cancellationToken)
    {
        // The witness is asked before the record is read: it can then only hold a head the record
        // already had, so an append in between is never mistaken for lost entries (only BEHIND).
        var (witnessed, unavailable) = await witness.AskAsync(id, cancellationToken);
        var (entries, head, checkpoint, opened) = await store.SealsAsync(id);
        var verification = RecordChain.Verify(id, entries, head, checkpoint, store.Checkpoints, opened);
        var response = new VerifyRecordResponse
        {
            Intact = verification.Intact,
            EntriesChecked = verification.EntriesChecked,
            FirstBrokenEntry = verification.FirstBrokenEntry,
            HeadSequence = verification.HeadSequence,
            Checkpoint = verification.Checkpoint,
            Problems = { verification.Problems },
        };
        if (verification.MissingAfterSequence is { } missingAfter)
            response.MissingAfterSequence = missingAfter;

        var check = unavailable is null ? RecordWitnessCheck.Compare(entries, witnessed) : WitnessCheck.Unavailable(unavailable);
        response.Witness = check.Status;
        response.WitnessedSequence = check.WitnessedSequence;
        if (check.Problem is not null)
        {
            response.Intact = false;
            response.Problems.Add(check.Problem);
            if (response.FirstBrokenEntry.Length == 0 && check.BrokenEntry is not null)
                response.FirstBrokenEntry = check.BrokenEntry;
            if (!response.HasMissingAfterSequence && check.MissingAfterSequence is { } lost)
                response.MissingAfterSequence = lost;
        }
        return response;
    }

    public override async Task<RecordEntry> RecordMinutes(RecordMinutesRequest request, ServerCallContext context)
    {
        var violations = new FieldViolations();
        string id;
        try
        {
            id = ResourceNames.ParseChallenge(request.Parent, "parent");
        }
        catch (RpcException)
        {
            violations.Add("parent", "must be a resource name of the form \"challenges/{challenge}\"");
            id = "";
        }
        MeetingInput.Validate(request.Meeting, "meeting", violations);
        violations.Optional("request_id", request.RequestId, RecordNames.MaxRequestId);
        violations.ThrowIfAny();
        DisputeTelemetry.TagDispute(id);

        var caller = context.GetCaller();
        var (view, record) = await access.RequireViewAsync(id, request.Parent, caller);
        if (view != DisputeView.Full || record is null)
            throw RpcErrors.PermissionDenied($"The caller may not record minutes of {request.Parent}.");

        var requestKey = request.RequestId.Length > 0 ? RecordNames.RequestKey(id, nameof(RecordMinutes), caller, request.RequestId) : null;
        var fingerprint = RecordNames.Fingerprint(request);
        for (var attempt = 0; attempt < MaxAppendAttempts; attempt++)
        {
            var (head, state) = await store.ReadAsync(id);
            state ??= record;
            var decision = MinutesRules.ToRecord(caller, state);
            var recordedBy = ActorOf(caller, decision);
            switch (decision.Kind)
            {
                case MinutesDecisionKind.PermissionDenied:
                    throw RpcErrors.PermissionDenied(decision.Reason);
                case MinutesDecisionKind.FailedPrecondition:
                    throw RpcErrors.FailedPrecondition(request.Parent, "STAGE", decision.Reason);
                case MinutesDecisionKind.Draft:
                    return await SaveDraftAsync(id, request, state, recordedBy, requestKey ?? RecordNames.RequestKey(id, nameof(RecordMinutes), caller, Guid.NewGuid().ToString("N")), fingerprint);
            }

            var entry = RecordEntries.Minutes(MeetingInput.Copy(request.Meeting, decision.Chair), recordedBy, state.Stage, state.ManagementTier, timeProvider.GetUtcNow());
            entry.TraceId = DisputeTelemetry.CurrentTraceId();
            var result = await store.TryAppendAsync(id, head, entry, new AppendOptions
            {
                SourceKey = requestKey,
                Fingerprint = fingerprint,
                State = state,
                Publish = sealedEntry => events.Create(MinutesEvent(id, sealedEntry, recordedBy, draft: false)),
            });
            if (result.Status == AppendStatus.Appended)
                return result.Entry!;
            if (result.Status == AppendStatus.Duplicate)
                return await ReplayAsync(id, result, fingerprint, request.RequestId);
            await RecordStore.BackOffAsync(attempt);
        }
        throw RpcErrors.Unavailable($"The record of {request.Parent} kept changing; retry.");
    }

    public override async Task<RecordEntry> ApproveMinutes(ApproveMinutesRequest request, ServerCallContext context)
    {
        var (id, draftId) = RecordNames.Parse(request.Name, RecordNames.MinutesDrafts, "name");
        new FieldViolations().Optional("request_id", request.RequestId, RecordNames.MaxRequestId).ThrowIfAny();
        DisputeTelemetry.TagDispute(id);
        var caller = context.GetCaller();
        var (view, record) = await access.RequireViewAsync(id, ResourceNames.Challenge(id), caller);
        if (view != DisputeView.Full || record is null)
            throw RpcErrors.PermissionDenied($"The caller may not approve minutes of {ResourceNames.Challenge(id)}.");

        var requestKey = request.RequestId.Length > 0 ? RecordNames.RequestKey(id, nameof(ApproveMinutes), caller, request.RequestId) : null;
        var fingerprint = RecordNames.Fingerprint(request);
        for (var attempt = 0; attempt < MaxAppendAttempts; attempt++)
        {
            var (head, state) = await store.ReadAsync(id);
            state ??= record;
            var decision = MinutesRules.ToApprove(caller, state);
            if (decision.Kind == MinutesDecisionKind.PermissionDenied)
                throw RpcErrors.PermissionDenied(decision.Reason);
            if (decision.Kind == MinutesDecisionKind.FailedPrecondition)
                throw RpcErrors.FailedPrecondition(request.Name, "STAGE", decision.Reason);
            var draft = await store.GetDraftAsync(id, draftId);
            if (draft is null)
            {
                // A retry of an approval that already landed finds its entry by the request.
                if (requestKey is not null && await store.FindSourceAsync(id, requestKey) is { } retried)
                    return await ReplayAsync(id, retried, fingerprint, request.RequestId);
                throw RpcErrors.NotFound(request.Name);
            }

            var chair = ActorOf(caller, decision);
            var entry = RecordEntries.Minutes(MeetingInput.Copy(draft.Meeting, decision.Chair), chair, state.Stage, state.ManagementTier, timeProvider.GetUtcNow());
            entry.Summary += $" Drafted by the partnership ({draft.Actor?.ProfessionalId} of {draft.Actor?.AgencyId}); approved by the independent chair.";
            entry.TraceId = DisputeTelemetry.CurrentTraceId();
            var result = await store.TryAppendAsync(id, head, entry, new AppendOptions
            {
                SourceKey = requestKey,
                Fingerprint = fingerprint,
                State = state,
                DraftId = draftId,
                Publish = sealedEntry => events.Create(MinutesEvent(id, sealedEntry, chair, draft: false)),
            });
            if (result.Status == AppendStatus.Appended)
                return result.Entry!;
            if (result.Status == AppendStatus.Duplicate)
                return await ReplayAsync(id, result, fingerprint, request.RequestId);
            await RecordStore.BackOffAsync(attempt);
        }
        throw RpcErrors.Unavailable($"The record of {ResourceNames.Challenge(id)} kept changing; retry.");
    }

    public override async Task<RecordEntry> CorrectRecordEntry(CorrectRecordEntryRequest request, ServerCallContext context)
    {
        var (id, entryId) = RecordNames.Parse(request.Name, RecordNames.Entries, "name");
        new FieldViolations()
            .Required("summary", request.Summary, 10_000)
            .Required("reason", request.Reason, 2_000)
            .Optional("request_id", request.RequestId, RecordNames.MaxRequestId)
            .ThrowIfAny();
        DisputeTelemetry.TagDispute(id);
        var caller = context.GetCaller();
        var (view, record) = await access.RequireViewAsync(id, ResourceNames.Challenge(id), caller);
        if (view != DisputeView.Full || record is null)
            throw RpcErrors.PermissionDenied($"The caller may not correct the record of {ResourceNames.Challenge(id)}.");
        var corrected = await store.GetAsync(id, entryId) ?? throw RpcErrors.NotFound(request.Name);
        if (!MinutesRules.MayCorrect(caller, corrected))
            throw RpcErrors.PermissionDenied("An entry is corrected by its actor's agency or by the partnership.");

        var requestKey = request.RequestId.Length > 0 ? RecordNames.RequestKey(id, nameof(CorrectRecordEntry), caller, request.RequestId) : null;
        var fingerprint = RecordNames.Fingerprint(request);
        var actor = new Party { AgencyId = caller.AgencyId, ProfessionalId = caller.ProfessionalId };
        for (var attempt = 0; attempt < MaxAppendAttempts; attempt++)
        {
            var (head, state) = await store.ReadAsync(id);
            state ??= record;
            var entry = RecordEntries.Correction(corrected, request.Summary, request.Reason, actor, state, timeProvider.GetUtcNow());
            entry.TraceId = DisputeTelemetry.CurrentTraceId();
            var result = await store.TryAppendAsync(id, head, entry, new AppendOptions { SourceKey = requestKey, Fingerprint = fingerprint, State = state });
            if (result.Status == AppendStatus.Appended)
                return result.Entry!;
            if (result.Status == AppendStatus.Duplicate)
                return await ReplayAsync(id, result, fingerprint, request.RequestId);
            await RecordStore.BackOffAsync(attempt);
        }
        throw RpcErrors.Unavailable($"The record of {ResourceNames.Challenge(id)} kept changing; retry.");
    }

    public override async Task<ListAccessAuditResponse> ListAccessAudit(ListAccessAuditRequest request, ServerCallContext context)
    {
        var caller = context.GetCaller();
        if (!caller.HasRole(DisputeRoles.Partnership))
            throw RpcErrors.PermissionDenied("The access audit is listed by the partnership.");
        var challengeId = request.Challenge.Length > 0 ? ResourceNames.ParseChallenge(request.Challenge, "challenge") : null;
        var pageSize = PageTokens.SizeOf(request.PageSize);
        var before = PageTokens.Decode(request.PageToken);
        if (before is not null && !System.Text.RegularExpressions.Regex.IsMatch(before, @"^\d{1,20}-\d{1,20}$"))
            throw RpcErrors.InvalidArgument("page_token", "is not a page token this API returned");
        var entries = await audit.ListAsync(challengeId, before, pageSize + 1);
        var response = new ListAccessAuditResponse();
        response.Entries.AddRange(entries.Take(pageSize));
        if (entries.Count > pageSize)
            response.NextPageToken = PageTokens.Encode(entries[pageSize - 1].Name["accessAudit/".Length..]);
        return response;
    }

    public override async Task<Recommendation> CreateRecommendation(CreateRecommendationRequest request, ServerCallContext context)
    {
        var id = ResourceNames.ParseChallenge(request.Parent, "parent");
        var violations = new FieldViolations();
        RecommendationRules.Validate(request.Recommendation, violations);
        violations.ThrowIfAny();
        DisputeTelemetry.TagDispute(id);
        var caller = context.GetCaller();
        var (view, record) = await access.RequireViewAsync(id, request.Parent, caller);
        if (view != DisputeView.Full || record is null || !RecommendationRules.MayCreate(caller, record))
            throw RpcErrors.PermissionDenied("Recommendations are made at stage 4 by the partnership or the appointed independent chair.");

        var recommendationId = SortableId.New(timeProvider);
        var now = timeProvider.GetUtcNow();
        var recommendation = new Recommendation
        {
            Name = $"{request.Parent}/recommendations/{recommendationId}",
            Text = request.Recommendation.Text,
            OwnerAgencyId = request.Recommendation.OwnerAgencyId,
            DueDate = request.Recommendation.DueDate,
            Status = RecommendationStatus.Open,
            MinutesEntry = request.Recommendation.MinutesEntry,
            CreatedBy = new Party { AgencyId = caller.AgencyId, ProfessionalId = caller.ProfessionalId },
            CreateTime = Timestamp.FromDateTimeOffset(now),
            Etag = Etags.Of(1),
        };
        await recommendations.SaveNewAsync(id, recommendationId, recommendation);
        return WithOverdue(recommendation);
    }

    public override async Task<Recommendation> UpdateRecommendationStatus(UpdateRecommendationStatusRequest request, ServerCallContext context)
    {
        var (id, recommendationId) = RecordNames.Parse(request.Name, "recommendations", "name");
        var violations = new FieldViolations();
        if (request.Status is RecommendationStatus.Unspecified or RecommendationStatus.Open)
            violations.Add("status", "must be IN_PROGRESS, COMPLETED or NOT_ACCEPTED");
        violations.Required("evidence", request.Evidence, MeetingInput.MaxText);
        violations.Required("etag", request.Etag, 40);
        violations.ThrowIfAny();
        DisputeTelemetry.TagDispute(id);
        var caller = context.GetCaller();
        var (view, _) = await access.RequireViewAsync(id, ResourceNames.Challenge(id), caller);
        var read = await recommendations.GetAsync(id, recommendationId) ?? throw RpcErrors.NotFound(request.Name);
        if (view != DisputeView.Full || !RecommendationRules.MayUpdate(caller, read))
            throw RpcErrors.PermissionDenied("A recommendation is moved on by its owner agency or by the partnership.");
        if (read.Etag != request.Etag)
            throw RpcErrors.StaleEtag(request.Name);
        if (RecommendationRules.IsSettled(read.Status))
            throw RpcErrors.FailedPrecondition(request.Name, "STATUS", "The recommendation is settled (completed or not accepted).");

        var updated = read.Clone();
        updated.Status = request.Status;
        updated.Updates.Add(new RecommendationUpdate
        {
            Status = request.Status,
            Evidence = request.Evidence,
            UpdatedBy = new Party { AgencyId = caller.AgencyId, ProfessionalId = caller.ProfessionalId },
            UpdateTime = Timestamp.FromDateTimeOffset(timeProvider.GetUtcNow()),
        });
        updated.Etag = Etags.Of(updated.Updates.Count + 1);
        updated.Overdue = false;
        if (!await recommendations.TryUpdateAsync(id, recommendationId, read, updated, RecommendationRules.IsSettled(request.Status)))
            throw RpcErrors.StaleEtag(request.Name);
        return WithOverdue(updated);
    }

    public override async Task<ListRecommendationsResponse> ListRecommendations(ListRecommendationsRequest request, ServerCallContext context)
    {
        var caller = context.GetCaller();
        IReadOnlyList<Recommendation> found;
        if (request.Parent == $"{ResourceNames.ChallengesCollection}/-")
        {
            if (!caller.HasRole(DisputeRoles.Partnership))
                throw RpcErrors.PermissionDenied("Every dispute's recommendations are listed by the partnership.");
            var today = NodaTime.Instant.FromDateTimeOffset(timeProvider.GetUtcNow()).InZone(WorkingDayCalendar.EnglandAndWales.Zone).Date;
            var dueBy = request.OverdueOnly ? today.PlusDays(-1) : today.PlusYears(100);
            found = await recommendations.UnsettledDueByAsync(dueBy.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture), 1_000);
        }
        else
        {
            var id = ResourceNames.ParseChallenge(request.Parent, "parent");
            DisputeTelemetry.TagDispute(id);
            var (view, _) = await access.RequireViewAsync(id, request.Parent, caller);
            if (view != DisputeView.Full)
                throw RpcErrors.PermissionDenied($"The caller may not read the recommendations of {request.Parent}.");
            found = await recommendations.ListAsync(id);
        }
        var response = new ListRecommendationsResponse();
        response.Recommendations.AddRange(found.Select(WithOverdue).Where(r => !request.OverdueOnly || r.Overdue));
        return response;
    }

    private Recommendation WithOverdue(Recommendation recommendation)
    {
        var view = recommendation.Clone();
        view.Overdue = RecommendationRules.IsOverdue(recommendation, NodaTime.Instant.FromDateTimeOffset(timeProvider.GetUtcNow()));
        return view;
    }

    public override async Task<LegalHold> SetLegalHold(SetLegalHoldRequest request, ServerCallContext context)
    {
        var id = ResourceNames.ParseChallenge(request.Parent, "parent");
        var violations = new FieldViolations();
        if (request.Hold)
            violations.Required("reason", request.Reason, 2_000);
        else
            violations.Optional("reason", request.Reason, 2_000);
        violations.ThrowIfAny();
        var caller = context.GetCaller();
        if (!caller.HasRole(DisputeRoles.Partnership))
            throw RpcErrors.PermissionDenied("Legal holds are placed by the partnership.");
        await access.RequireViewAsync(id, request.Parent, caller);
        var hold = new LegalHold
        {
            Parent = request.Parent,
            Hold = request.Hold,
            Reason = request.Reason,
            SetBy = new Party { AgencyId = caller.AgencyId, ProfessionalId = caller.ProfessionalId },
            SetTime = Timestamp.FromDateTimeOffset(timeProvider.GetUtcNow()),
        };
        await retention.SetHoldAsync(id, hold);
        return hold;
    }

    public override async Task<PurgeExpiredRecordsResponse> PurgeExpiredRecords(PurgeExpiredRecordsRequest request, ServerCallContext context)
    {
        if (!context.GetCaller().HasRole(DisputeRoles.Partnership))
            throw RpcErrors.PermissionDenied("Purges are run by the partnership.");
        var (purged, held) = await purge.PurgeExpiredAsync(context.CancellationToken);
        return new PurgeExpiredRecordsResponse { Purged = { purged }, Held = { held } };
    }

    public override async Task<EscalationReport> GetEscalationReport(GetEscalationReportRequest request, ServerCallContext context) =>
        await ReportAsync(request, context);

    public override async Task<Google.Api.HttpBody> ExportEscalationReport(GetEscalationReportRequest request, ServerCallContext context) => new()
    {
        ContentType = "text/csv; charset=utf-8",
        Data = Google.Protobuf.ByteString.CopyFrom(EscalationReportCsv.Write(await ReportAsync(request, context))),
    };

    private async Task<EscalationReport> ReportAsync(GetEscalationReportRequest request, ServerCallContext context)
    {
        if (!context.GetCaller().HasRole(DisputeRoles.Partnership))
            throw RpcErrors.PermissionDenied("The escalation log is the partnership's.");
        var violations = new FieldViolations();
        if (request.StartTime is null)
            violations.Add("start_time", "is required");
        if (request.EndTime is null)
            violations.Add("end_time", "is required");
        if (request.StartTime is not null && request.EndTime is not null)
        {
            var span = request.EndTime.ToDateTimeOffset() - request.StartTime.ToDateTimeOffset();
            if (span <= TimeSpan.Zero)
                violations.Add("end_time", "must be after start_time");
            else if (span > TimeSpan.FromDays(366 * 10))
                violations.Add("end_time", "must be at most ten years after start_time");
        }
        violations.ThrowIfAny();
        var challenges = await store.RaisedBetweenAsync(request.StartTime!.ToDateTimeOffset(), request.EndTime!.ToDateTimeOffset());
        return EscalationLog.Build(challenges, WorkingDayCalendar.EnglandAndWales);
    }

    private async Task<RecordEntry> SaveDraftAsync(string id, RecordMinutesRequest request, DisputeRecord state, Party recordedBy, string requestKey, string fingerprint)
    {
        var draftId = SortableId.New(timeProvider);
        var draft = RecordEntries.Minutes(MeetingInput.Copy(request.Meeting, state.Chair), recordedBy, state.Stage, state.ManagementTier, timeProvider.GetUtcNow());
        draft.Name = RecordNames.Draft(id, draftId);
        draft.RecordTime = Timestamp.FromDateTimeOffset(timeProvider.GetUtcNow());
        draft.TraceId = DisputeTelemetry.CurrentTraceId();
        var (saved, existingId, existingFingerprint) = await store.SaveDraftAsync(id, draftId, draft, requestKey, fingerprint,
            events.Create(MinutesEvent(id, draft, recordedBy, draft: true)));
        if (saved)
            return draft;
        if (existingFingerprint != fingerprint)
            throw RecordNames.RequestIdReused(request.RequestId);
        return await store.GetDraftAsync(id, existingId)
            ?? throw RpcErrors.FailedPrecondition(RecordNames.Draft(id, existingId), "DRAFT", "The draft was approved already; its minutes are in the record.");
    }

    private async Task<RecordEntry> ReplayAsync(string id, AppendResult duplicate, string fingerprint, string requestId)
    {
        if (duplicate.ExistingFingerprint != fingerprint)
            throw RecordNames.RequestIdReused(requestId);
        return await store.GetBySequenceAsync(id, duplicate.ExistingSequence)
            ?? throw RpcErrors.Internal("The entry a request made is missing from the record.");
    }

    private static MinutesRecorded MinutesEvent(string id, RecordEntry entry, Party recordedBy, bool draft)
    {
        var minutes = new MinutesRecorded
        {
            Challenge = ResourceNames.Challenge(id),
            Version = draft ? 0 : entry.Sequence,
            OccurTime = entry.RecordTime,
            RecordedBy = recordedBy,
            Stage = entry.Stage,
            Minutes = entry.Name,
            Draft = draft,
        };
        if (entry.Meeting?.Chair is { } chair)
            minutes.Chair = MeetingInput.CopyParty(chair);
        return minutes;
    }

    private static Party ActorOf(Caller caller, MinutesDecision decision) => new()
    {
        AgencyId = caller.AgencyId,
        ProfessionalId = caller.ProfessionalId,
        Role = decision.Chair is { } chair && chair.ProfessionalId == caller.ProfessionalId ? "independent chair"
            : decision.Kind == MinutesDecisionKind.Draft ? "partnership"
            : "senior manager",
    };

    private static RecordEntry Project(RecordEntry entry, DisputeView view) =>
        view == DisputeView.Full ? entry : RecordEntries.ForSupport(entry);
}
