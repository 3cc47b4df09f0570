using Disputes.ServiceDefaults.Grpc;

namespace Disputes.Notification.Grpc;

/// <summary>Resource names under an agency: <c>agencies/{agency}</c> and its webhook and email subscriptions.</summary>
public static class AgencyNames
{
    public const string Collection = "agencies";

    public static bool IsAgencyId(string? id) =>
        id is { Length: > 0 and <= 128 } && id.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.');

    public static string ParseAgency(string? name, string field)
    {
        var parts = (name ?? "").Split('/');
        return parts is [Collection, var id] && IsAgencyId(id)
            ? id
            : throw RpcErrors.InvalidArgument(field, "must be a resource name of the form \"agencies/{agency}\"");
    }

    public static (string AgencyId, string SubscriptionId) ParseWebhookSubscription(string? name, string field)
    {
        var parts = (name ?? "").Split('/');
        return parts is [Collection, var agency, "webhookSubscriptions", var id] && IsAgencyId(agency) && SortableId.IsValid(id)
            ? (agency, id)
            : throw RpcErrors.InvalidArgument(field, "must be a resource name of the form \"agencies/{agency}/webhookSubscriptions/{subscription}\"");
    }

    public static (string AgencyId, string SubscriptionId) ParseEmailSubscription(string? name, string field)
    {
        var parts = (name ?? "").Split('/');
        return parts is [Collection, var agency, "emailSubscriptions", var id] && IsAgencyId(agency) && SortableId.IsValid(id)
            ? (agency, id)
            : throw RpcErrors.InvalidArgument(field, "must be a resource name of the form \"agencies/{agency}/emailSubscriptions/{subscription}\"");
    }
}
