using System.Security.Cryptography;
using System.Text;
using Disputes.V1;
using Google.Protobuf;
using StackExchange.Redis;

namespace Disputes.Notification.Storage;

public enum EmailSubscriptionAdded
{
    Added,
    /// <summary>The agency already has a subscription for this address.</summary>
    AddressTaken,
    /// <summary>The agency already has as many subscriptions as it may.</summary>
    LimitReached,
    /// <summary>A call with the same request id got there first: read what it created.</summary>
    RequestSeen,
}

/// <summary>What a create with a request id produced: the request's fingerprint and the subscription it created.</summary>
public sealed record EmailSubscriptionRequest(string Fingerprint, EmailSubscription Created);

/// <summary>
/// Email subscriptions per agency (<c>emails:{agency}</c>, keyed by subscription id), the
/// addresses taken in each agency (<c>email-addresses:{agency}</c>, lower-cased address to id),
/// and the creates done under a request id (<c>email-requests:{hash}</c>, kept 30 days).
/// A subscription, its address and its request are written in one transaction, so all three carry
/// the subscriptions' own hash tag (<see cref="SubscriptionKeys.Tag"/>): one slot on a Redis Cluster.
/// </summary>
public sealed class EmailSubscriptionStore(IConnectionMultiplexer redis)
{
    public static readonly TimeSpan RequestRetention = TimeSpan.FromDays(30);

    /// <summary>Transactions lost to concurrent writers before the store gives up (each loss means another writer succeeded).</summary>
    private const int MaxTransactionAttempts = 16;

    private static RedisKey SubscriptionsKey(string agencyId) => SubscriptionKeys.Of($"emails:{agencyId}");

    private static RedisKey AddressesKey(string agencyId) => SubscriptionKeys.Of($"email-addresses:{agencyId}");

    /// <summary>One key per (agency, caller, request id), hashed so no part of it can shape the key.</summary>
    public static RedisKey RequestKey(string agencyId, string callerAgencyId, string callerId, string requestId)
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(string.Join('\n', agencyId, callerAgencyId, callerId, requestId)));
        return SubscriptionKeys.Of($"email-requests:{Convert.ToHexStringLower(hash)}");
    }

    public async Task<(EmailSubscriptionAdded Outcome, string ExistingName)> AddAsync(
        string agencyId, string subscriptionId, string addressKey, EmailSubscription subscription, int limit, RedisKey? request, string fingerprint)
    {
        var db = redis.GetDatabase();
        for (var attempt = 0; attempt < MaxTransactionAttempts; attempt++)
        {
            if (request is { } requestKey && await db.KeyExistsAsync(requestKey))
                return (EmailSubscriptionAdded.RequestSeen, "");
            var taken = await db.HashGetAsync(AddressesKey(agencyId), addressKey);
            if (!taken.IsNull)
            {
                // A retry of this very request may have taken the address since the check above: a replay, not a clash.
                if (request is { } racedKey && await db.KeyExistsAsync(racedKey))
                    return (EmailSubscriptionAdded.RequestSeen, "");
                return (EmailSubscriptionAdded.AddressTaken, $"agencies/{agencyId}/emailSubscriptions/{taken}");
            }
            var count = await db.HashLengthAsync(SubscriptionsKey(agencyId));
            if (count >= limit)
                return (EmailSubscriptionAdded.LimitReached, "");

            var transaction = db.CreateTransaction();
            transaction.AddCondition(Condition.HashNotExists(AddressesKey(agencyId), addressKey));
            transaction.AddCondition(Condition.HashLengthEqual(SubscriptionsKey(agencyId), count));
            var bytes = subscription.ToByteArray();
            _ = transaction.HashSetAsync(SubscriptionsKey(agencyId), subscriptionId, bytes);
            _ = transaction.HashSetAsync(AddressesKey(agencyId), addressKey, subscriptionId);
            if (request is { } key)
            {
                transaction.AddCondition(Condition.KeyNotExists(key));
                _ = transaction.HashSetAsync(key, [new HashEntry("fingerprint", fingerprint), new HashEntry("subscription", bytes)]);
                _ = transaction.KeyExpireAsync(key, RequestRetention);
            }
            if (await transaction.ExecuteAsync())
                return (EmailSubscriptionAdded.Added, "");
        }
        throw new RedisException($"The email subscriptions of {agencyId} kept changing; try again.");
    }

    public async Task<EmailSubscriptionRequest?> GetRequestAsync(RedisKey request)
    {
        var values = await redis.GetDatabase().HashGetAsync(request, ["fingerprint", "subscription"]);
        return values[0].IsNull || values[1].IsNull
            ? null
            : new EmailSubscriptionRequest(values[0].ToString(), EmailSubscription.Parser.ParseFrom((byte[])values[1]!));
    }

    public async Task<IReadOnlyList<EmailSubscription>> ListAsync(string agencyId)
    {
        var entries = await redis.GetDatabase().HashGetAllAsync(SubscriptionsKey(agencyId));
        return entries
            .OrderBy(e => e.Name.ToString(), StringComparer.Ordinal)
            .Select(e => EmailSubscription.Parser.ParseFrom((byte[])e.Value!))
            .ToArray();
    }

    public async Task<EmailSubscription?> GetAsync(string agencyId, string subscriptionId)
    {
        var value = await redis.GetDatabase().HashGetAsync(SubscriptionsKey(agencyId), subscriptionId);
        return value.IsNull ? null : EmailSubscription.Parser.ParseFrom((byte[])value!);
    }

    /// <summary>Deletes the subscription, and frees its address, if it is still the one read.</summary>
    public async Task<bool> DeleteAsync(string agencyId, string subscriptionId, EmailSubscription read, string addressKey)
    {
        var transaction = redis.GetDatabase().CreateTransaction();
        transaction.AddCondition(Condition.HashEqual(SubscriptionsKey(agencyId), subscriptionId, read.ToByteArray()));
        transaction.AddCondition(Condition.HashEqual(AddressesKey(agencyId), addressKey, subscriptionId));
        _ = transaction.HashDeleteAsync(SubscriptionsKey(agencyId), subscriptionId);
        _ = transaction.HashDeleteAsync(AddressesKey(agencyId), addressKey);
        return await transaction.ExecuteAsync();
    }
}
