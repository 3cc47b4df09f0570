using Disputes.Notification.Domain;
using Disputes.Notification.Storage;
using Disputes.ServiceDefaults.Grpc;
using Disputes.ServiceDefaults.Identity;
using Disputes.V1;
using Google.Protobuf.WellKnownTypes;
using Google.Rpc;
using Grpc.Core;
using Microsoft.Extensions.Options;

namespace Disputes.Notification.Grpc;

/// <summary>
/// CreateEmailSubscription, ListEmailSubscriptions and DeleteEmailSubscription: the addresses an
/// agency's notices are emailed to, managed by the callers who manage its webhooks.
/// </summary>
public sealed class EmailSubscriptionsApi(EmailSubscriptionStore store, IOptions<NotificationOptions> options, TimeProvider timeProvider)
{
    public const string RequestIdReused = "REQUEST_ID_REUSED";
    public const string AddressSubscribed = "EMAIL_ADDRESS_SUBSCRIBED";

    public async Task<EmailSubscription> CreateAsync(CreateEmailSubscriptionRequest request, Caller caller)
    {
        var agencyId = AgencyNames.ParseAgency(request.Parent, "parent");
        EmailSubscriptionRules.Check(request).ThrowIfAny();
        RequireManager(caller, agencyId);

        var requested = request.Subscription;
        var fingerprint = EmailSubscriptionRules.Fingerprint(request.Parent, requested);
        var requestKey = request.RequestId.Length > 0
            ? EmailSubscriptionStore.RequestKey(agencyId, caller.AgencyId, caller.ProfessionalId, request.RequestId)
            : (StackExchange.Redis.RedisKey?)null;
        if (requestKey is { } seenKey && await store.GetRequestAsync(seenKey) is { } seen)
            return Replay(seen, fingerprint);

        var id = SortableId.New(timeProvider);
        // Built field by field from what the API defines: nothing else the request carried is stored.
        var subscription = new EmailSubscription
        {
            Name = $"{request.Parent}/emailSubscriptions/{id}",
            Agency = agencyId,
            Address = requested.Address,
            DisplayName = requested.DisplayName,
            Notices = { requested.Notices },
            CreateTime = Timestamp.FromDateTimeOffset(timeProvider.GetUtcNow()),
            Creator = caller.ProfessionalId,
        };
        subscription.Etag = EmailSubscriptionRules.Etag(subscription);

        var limit = options.Value.Email.MaxSubscriptionsPerAgency;
        var (outcome, existing) = await store.AddAsync(agencyId, id, EmailSubscriptionRules.UniquenessKey(requested.Address), subscription, limit, requestKey, fingerprint);
        return outcome switch
        {
            EmailSubscriptionAdded.Added => subscription,
            EmailSubscriptionAdded.AddressTaken => throw AlreadySubscribed(agencyId, existing),
            EmailSubscriptionAdded.LimitReached => throw RpcErrors.FailedPrecondition(request.Parent, "EMAIL_SUBSCRIPTION_LIMIT",
                $"{agencyId} already has {limit} email subscriptions; delete one first."),
            _ => Replay(await store.GetRequestAsync(requestKey!.Value) ?? throw RpcErrors.Unavailable("The request was being created; retry it."), fingerprint),
        };
    }

    public async Task<ListEmailSubscriptionsResponse> ListAsync(ListEmailSubscriptionsRequest request, Caller caller)
    {
        var agencyId = AgencyNames.ParseAgency(request.Parent, "parent");
        var pageSize = PageTokens.SizeOf(request.PageSize);
        var after = PageTokens.Decode(request.PageToken);
        RequireManager(caller, agencyId);

        var remaining = (await store.ListAsync(agencyId))
            .Where(s => after is null || string.CompareOrdinal(s.Name, after) > 0)
            .ToArray();
        var page = remaining.Take(pageSize).Select(Public).ToArray();
        var response = new ListEmailSubscriptionsResponse { Subscriptions = { page } };
        if (remaining.Length > page.Length)
            response.NextPageToken = PageTokens.Encode(page[^1].Name);
        return response;
    }

    public async Task<DeleteEmailSubscriptionResponse> DeleteAsync(DeleteEmailSubscriptionRequest request, Caller caller)
    {
        var (agencyId, id) = AgencyNames.ParseEmailSubscription(request.Name, "name");
        new FieldViolations().Optional("etag", request.Etag, 64).ThrowIfAny();
        RequireManager(caller, agencyId);

        var found = await store.GetAsync(agencyId, id) ?? throw RpcErrors.NotFound(request.Name);
        if (request.Etag.Length > 0 && request.Etag != found.Etag)
            throw RpcErrors.StaleEtag(request.Name);
        // A subscription never changes, so a lost race can only mean it was deleted meanwhile.
        if (!await store.DeleteAsync(agencyId, id, found, EmailSubscriptionRules.UniquenessKey(found.Address)))
            throw RpcErrors.NotFound(request.Name);
        return new DeleteEmailSubscriptionResponse();
    }

    private static EmailSubscription Replay(EmailSubscriptionRequest seen, string fingerprint) =>
        seen.Fingerprint == fingerprint
            ? Public(seen.Created)
            : throw new Google.Rpc.Status
            {
                Code = (int)Code.AlreadyExists,
                Message = "This request_id was already used for a different request; use a new request_id for a new request.",
                Details = { Any.Pack(new ErrorInfo { Reason = RequestIdReused, Domain = "disputes.v1" }) },
            }.ToRpcException();

    private static RpcException AlreadySubscribed(string agencyId, string existingName) =>
        new Google.Rpc.Status
        {
            Code = (int)Code.AlreadyExists,
            Message = $"{agencyId} already has an email subscription for this address: {existingName}.",
            Details =
            {
                Any.Pack(new ErrorInfo { Reason = AddressSubscribed, Domain = "disputes.v1" }),
                Any.Pack(new ResourceInfo { ResourceType = EmailSubscription.Descriptor.FullName, ResourceName = existingName, Description = "already exists" }),
            },
        }.ToRpcException();

    private static void RequireManager(Caller caller, string agencyId)
    {
        if (!SubscriptionManagers.MayManage(caller, agencyId))
            throw RpcErrors.PermissionDenied($"Only a line manager or safeguarding lead of {agencyId} (or the partnership, for its own) may manage its email subscriptions.");
    }

    /// <summary>The subscription as the API defines it, field by field.</summary>
    public static EmailSubscription Public(EmailSubscription s) => new()
    {
        Name = s.Name,
        Agency = s.Agency,
        Address = s.Address,
        DisplayName = s.DisplayName,
        Notices = { s.Notices },
        CreateTime = s.CreateTime,
        Etag = s.Etag,
        Creator = s.Creator,
    };
}
