using Disputes.EventBus.Redis;
using Disputes.Notification.Domain;
using Disputes.Notification.Storage;
using Disputes.Procedure;
using Disputes.Redis;
using Disputes.ServiceDefaults.Grpc;
using Disputes.ServiceDefaults.Identity;
using Disputes.V1;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Microsoft.Extensions.Options;

namespace Disputes.Notification.Grpc;

public sealed class NotificationGrpcService(
    DeliveryStore deliveries,
    DisputeFactsStore facts,
    WebhookSubscriptionStore webhooks,
    EmailSubscriptionsApi emailSubscriptions,
    IOptions<NotificationOptions> options,
    TimeProvider timeProvider) : NotificationService.NotificationServiceBase
{
    /// <summary>Index members read per page at most, so a filter that matches little cannot make a page unbounded.</summary>
    private const int MaxScanPerPage = 1_000;

    /// <summary>Safeguarding leads manage their agency's subscriptions as line managers do.</summary>
    public const string SafeguardingLeadRole = DisputeRoles.SafeguardingLead;

    /// <summary>
    /// How often an idle watch looks for new deliveries unprompted: one written by this process wakes
    /// it at once; this bounds how late it sees one another replica wrote.
    /// </summary>
    public static readonly TimeSpan WatchSweepInterval = TimeSpan.FromSeconds(1);

    public override async Task<ListDeliveriesResponse> ListDeliveries(ListDeliveriesRequest request, ServerCallContext context)
    {
        var caller = context.GetCaller();
        var violations = new FieldViolations()
            .Optional("recipient_professional_id", request.RecipientProfessionalId, 128)
            .Optional("recipient_agency_id", request.RecipientAgencyId, 128);
        if (!System.Enum.IsDefined(request.Status))
            violations.Add("status", "is not a delivery status");
        violations.ThrowIfAny();
        var pageSize = PageTokens.SizeOf(request.PageSize);
        var after = PageTokens.Decode(request.PageToken);

        Func<V1.Delivery, V1.Delivery?> view;
        IReadOnlyList<StackExchange.Redis.RedisKey> index;
        string? ofChallenge = null;
        Func<V1.Delivery, bool> matches = d =>
            (request.Status == DeliveryStatus.Unspecified || d.Status == request.Status)
            && (request.RecipientProfessionalId.Length == 0 || d.Recipient.ProfessionalId == request.RecipientProfessionalId)
            && (request.RecipientAgencyId.Length == 0 || d.Recipient.AgencyId == request.RecipientAgencyId);

        if (request.Parent.StartsWith(AgencyNames.Collection + "/", StringComparison.Ordinal))
        {
            var agencyId = AgencyNames.ParseAgency(request.Parent, "parent");
            if (request.RecipientAgencyId.Length > 0 && request.RecipientAgencyId != agencyId)
                throw RpcErrors.InvalidArgument("recipient_agency_id", "must be empty or the parent's agency");
            view = AgencyView(caller, agencyId, request.Parent);
            // Per partition: merged on read.
            index = request.RecipientProfessionalId.Length > 0
                ? DeliveryStore.RecipientIndexes(agencyId, request.RecipientProfessionalId)
                : DeliveryStore.AgencyIndexes(agencyId);
        }
        else
        {
            var challengeId = ResourceNames.ParseChallenge(request.Parent, "parent");
            DisputeTelemetry.TagDispute(challengeId);
            view = await ChallengeViewAsync(caller, challengeId, request.Parent);
            index = [DeliveryStore.ChallengeIndex(challengeId)];
            ofChallenge = challengeId;
        }

        var response = new ListDeliveriesResponse();
        string? position = after;
        string? lastIncluded = null;
        var scanned = 0;
        while (true)
        {
            var chunk = await deliveries.PageAsync(index, position, Math.Min(MaxScanPerPage, pageSize + 1), ofChallenge);
            if (chunk.Count == 0)
                return response;
            foreach (var (member, delivery) in chunk)
            {
                if (delivery is not null && matches(delivery) && view(delivery) is { } shown)
                {
                    if (response.Deliveries.Count == pageSize)
                    {
                        response.NextPageToken = PageTokens.Encode(lastIncluded!);
                        return response;
                    }
                    response.Deliveries.Add(shown);
                    lastIncluded = member;
                }
                position = member;
                if (++scanned >= MaxScanPerPage)
                {
                    // More may follow: the caller continues from where this page's scan stopped.
                    response.NextPageToken = PageTokens.Encode(position);
                    return response;
                }
            }
        }
    }

    public override async Task WatchNotifications(WatchNotificationsRequest request, IServerStreamWriter<V1.Delivery> responseStream, ServerCallContext context)
    {
        var agencyId = AgencyNames.ParseAgency(request.Parent, "parent");
        WatchCursor? resume = null;
        if (request.ResumeCursor.Length > 0 && !WatchCursor.TryParse(request.ResumeCursor, RedisPartitions.Count, out resume))
            throw RpcErrors.InvalidArgument("resume_cursor", "is not a cursor this API returned");
        var caller = context.GetCaller();
        if (caller.AgencyId != agencyId)
            throw RpcErrors.PermissionDenied($"Only {agencyId}'s own professionals and systems may watch its notifications.");

        if (resume is not null && await deliveries.TrimmedAfterAsync(agencyId, resume))
        {
            throw RpcErrors.FailedPrecondition(request.Parent, "CURSOR_EXPIRED",
                "Deliveries after resume_cursor are no longer kept; list the agency's deliveries to catch up, then watch without a cursor.");
        }
        // Open before the first read, so a delivery written after that read wakes it.
        using var watch = deliveries.Watchers.Open(agencyId);
        var cursor = resume ?? await deliveries.LatestCursorAsync(agencyId);
        var cancellation = context.CancellationToken;
        while (!cancellation.IsCancellationRequested)
        {
            var entries = await deliveries.ReadAgencyStreamAsync(agencyId, cursor, 100);
            foreach (var (partition, entryId, delivery) in entries)
            {
                cursor = cursor.After(partition, entryId);
                if (delivery is not null)
                    await responseStream.WriteAsync(DeliveryViews.ForRecipientSystem(delivery, cursor.ToString()), cancellation);
            }
            if (entries.Count == 0)
            {
                try
                {
                    await watch.Written.WaitAsync(WatchSweepInterval, timeProvider, cancellation);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }

    public override async Task<WebhookSubscription> CreateWebhookSubscription(CreateWebhookSubscriptionRequest request, ServerCallContext context)
    {
        var agencyId = AgencyNames.ParseAgency(request.Parent, "parent");
        var allowLoopback = options.Value.Webhooks.AllowLoopback;
        if (request.Subscription is null)
            throw RpcErrors.InvalidArgument("subscription", "is required");
        if (WebhookAddressPolicy.ProblemWith(request.Subscription.Url, allowLoopback) is { } problem)
            throw RpcErrors.InvalidArgument("subscription.url", problem);
        var caller = RequireSubscriptionManager(context, agencyId);

        var id = SortableId.New(timeProvider);
        var secret = StandardWebhooks.NewSecret();
        // Built field by field: nothing else the request carried is stored.
        var stored = new WebhookSubscription
        {
            Name = $"{request.Parent}/webhookSubscriptions/{id}",
            Url = request.Subscription.Url,
            SigningSecretId = StandardWebhooks.IdOf(secret),
            CreateTime = Timestamp.FromDateTimeOffset(timeProvider.GetUtcNow()),
            Creator = caller.ProfessionalId,
        };
        var limit = options.Value.Webhooks.MaxSubscriptionsPerAgency;
        if (!await webhooks.AddAsync(agencyId, id, stored, secret, limit))
            throw RpcErrors.FailedPrecondition(request.Parent, "WEBHOOK_SUBSCRIPTION_LIMIT", $"{agencyId} already has {limit} webhook subscriptions; delete one first.");

        var created = stored.Clone();
        created.SigningSecret = secret;
        return created;
    }

    public override async Task<ListWebhookSubscriptionsResponse> ListWebhookSubscriptions(ListWebhookSubscriptionsRequest request, ServerCallContext context)
    {
        var agencyId = AgencyNames.ParseAgency(request.Parent, "parent");
        var pageSize = PageTokens.SizeOf(request.PageSize);
        var after = PageTokens.Decode(request.PageToken);
        RequireSubscriptionManager(context, agencyId);

        var remaining = (await webhooks.ListAsync(agencyId))
            .Where(s => after is null || string.CompareOrdinal(s.Name, after) > 0)
            .ToArray();
        var page = remaining.Take(pageSize).Select(Public).ToArray();
        var response = new ListWebhookSubscriptionsResponse { Subscriptions = { page } };
        if (remaining.Length > page.Length)
            response.NextPageToken = PageTokens.Encode(page[^1].Name);
        return response;
    }

    public override async Task<DeleteWebhookSubscriptionResponse> DeleteWebhookSubscription(DeleteWebhookSubscriptionRequest request, ServerCallContext context)
    {
        var (agencyId, id) = AgencyNames.ParseWebhookSubscription(request.Name, "name");
        RequireSubscriptionManager(context, agencyId);
        if (!await webhooks.DeleteAsync(agencyId, id, request.Name))
            throw RpcErrors.NotFound(request.Name);
        return new DeleteWebhookSubscriptionResponse();
    }

    public override Task<EmailSubscription> CreateEmailSubscription(CreateEmailSubscriptionRequest request, ServerCallContext context) =>
        emailSubscriptions.CreateAsync(request, context.GetCaller());

    public override Task<ListEmailSubscriptionsResponse> ListEmailSubscriptions(ListEmailSubscriptionsRequest request, ServerCallContext context) =>
        emailSubscriptions.ListAsync(request, context.GetCaller());

    public override Task<DeleteEmailSubscriptionResponse> DeleteEmailSubscription(DeleteEmailSubscriptionRequest request, ServerCallContext context) =>
        emailSubscriptions.DeleteAsync(request, context.GetCaller());

    /// <summary>Who may see deliveries about a challenge: the permission table, with the facts notification keeps.</summary>
    private async Task<Func<V1.Delivery, V1.Delivery?>> ChallengeViewAsync(Caller caller, string challengeId, string resourceName)
    {
        var known = await facts.GetAsync(challengeId) ?? throw RpcErrors.NotFound(resourceName);
        var appointed = AppointedProfessional.Of(known.LocalAuthorityId, known.IroProfessionalId, known.Chair?.AgencyId, known.Chair?.ProfessionalId);
        var parties = new DisputeParties(known.Referrer.AgencyId, known.ReceivingProfessional.AgencyId, appointed, known.LocalAuthorityId);
        return DisputeAccess.ViewFor(caller, parties) switch
        {
            DisputeView.Full => d => DeliveryViews.Full(d, withMessage: MayReadMessage(caller, d)),
            DisputeView.Support => DeliveryViews.Support,
            _ => throw RpcErrors.PermissionDenied($"The caller may not read {resourceName}."),
        };
    }

    /// <summary>An agency's deliveries: its own professionals, the partnership (without messages to others), support (redacted).</summary>
    private static Func<V1.Delivery, V1.Delivery?> AgencyView(Caller caller, string agencyId, string resourceName)
    {
        if (caller.AgencyId == agencyId || caller.HasRole(DisputeRoles.Partnership))
            return d => DeliveryViews.Full(d, withMessage: MayReadMessage(caller, d));
        if (caller.HasRole(DisputeRoles.Support))
            return DeliveryViews.Support;
        throw RpcErrors.PermissionDenied($"The caller may not read the deliveries of {resourceName}.");
    }

    /// <summary>A message is for its recipient's agency: the review's reasons, for one, are for the referrer alone.</summary>
    private static bool MayReadMessage(Caller caller, V1.Delivery delivery) =>
        caller.AgencyId.Length > 0 && caller.AgencyId == delivery.Recipient.AgencyId;

    private static Caller RequireSubscriptionManager(ServerCallContext context, string agencyId)
    {
        var caller = context.GetCaller();
        return SubscriptionManagers.MayManage(caller, agencyId)
            ? caller
            : throw RpcErrors.PermissionDenied($"Only a line manager or safeguarding lead of {agencyId} (or the partnership, for its own) may manage its webhook subscriptions.");
    }

    private static WebhookSubscription Public(WebhookSubscription s) => new()
    {
        Name = s.Name,
        Url = s.Url,
        SigningSecretId = s.SigningSecretId,
        CreateTime = s.CreateTime,
        Creator = s.Creator,
    };
}
