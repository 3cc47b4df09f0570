using Disputes.V1;
using Google.Protobuf;
using StackExchange.Redis;

namespace Disputes.Notification.Storage;

/// <summary>
/// Webhook subscriptions per agency (<c>webhooks:{agency}</c>, keyed by subscription id) and
/// their signing secrets (<c>webhook-secrets</c>, keyed by subscription name), which leave
/// this store only to sign. A subscription and its secret are written together, so both keys
/// carry the subscriptions' own hash tag (<see cref="SubscriptionKeys.Tag"/>): one slot on a Redis Cluster.
/// </summary>
public sealed class WebhookSubscriptionStore(IConnectionMultiplexer redis)
{
    private static RedisKey SubscriptionsKey(string agencyId) => SubscriptionKeys.Of($"webhooks:{agencyId}");

    private static RedisKey SecretsKey => SubscriptionKeys.Of("webhook-secrets");

    /// <summary>Stores the subscription unless the agency already has <paramref name="limit"/>.</summary>
    public async Task<bool> AddAsync(string agencyId, string subscriptionId, WebhookSubscription subscription, string secret, int limit)
    {
        var db = redis.GetDatabase();
        var count = await db.HashLengthAsync(SubscriptionsKey(agencyId));
        if (count >= limit)
            return false;
        var transaction = db.CreateTransaction();
        transaction.AddCondition(Condition.HashLengthEqual(SubscriptionsKey(agencyId), count));
        _ = transaction.HashSetAsync(SubscriptionsKey(agencyId), subscriptionId, subscription.ToByteArray());
        _ = transaction.HashSetAsync(SecretsKey, subscription.Name, secret);
        return await transaction.ExecuteAsync() || await AddAsync(agencyId, subscriptionId, subscription, secret, limit);
    }

    public async Task<IReadOnlyList<WebhookSubscription>> ListAsync(string agencyId)
    {
        var entries = await redis.GetDatabase().HashGetAllAsync(SubscriptionsKey(agencyId));
        return entries
            .OrderBy(e => e.Name.ToString(), StringComparer.Ordinal)
            .Select(e => WebhookSubscription.Parser.ParseFrom((byte[])e.Value!))
            .ToArray();
    }

    public async Task<(WebhookSubscription Subscription, string Secret)?> GetAsync(string agencyId, string subscriptionId)
    {
        var db = redis.GetDatabase();
        var value = await db.HashGetAsync(SubscriptionsKey(agencyId), subscriptionId);
        if (value.IsNull)
            return null;
        var subscription = WebhookSubscription.Parser.ParseFrom((byte[])value!);
        var secret = await db.HashGetAsync(SecretsKey, subscription.Name);
        return secret.IsNull ? null : (subscription, secret.ToString());
    }

    public async Task<bool> DeleteAsync(string agencyId, string subscriptionId, string name)
    {
        var transaction = redis.GetDatabase().CreateTransaction();
        transaction.AddCondition(Condition.HashExists(SubscriptionsKey(agencyId), subscriptionId));
        _ = transaction.HashDeleteAsync(SubscriptionsKey(agencyId), subscriptionId);
        _ = transaction.HashDeleteAsync(SecretsKey, name);
        return await transaction.ExecuteAsync();
    }
}
