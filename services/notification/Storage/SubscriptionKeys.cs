using StackExchange.Redis;

namespace Disputes.Notification.Storage;

/// <summary>
/// Keys of the agencies' webhook and email subscriptions. They belong to no dispute, but a
/// subscription is written in one transaction with its secret, its address or its request id, so
/// they share one fixed hash tag of their own (after the service prefix, so <c>~notification:*</c>
/// still matches): <c>notification:{subscriptions}:webhooks:{agency}</c>. They are few and small;
/// one slot holds them all.
/// </summary>
public static class SubscriptionKeys
{
    public const string Tag = "{subscriptions}";

    public static RedisKey Of(string rest) => $"{DeliveryStore.Prefix}{Tag}:{rest}";
}
