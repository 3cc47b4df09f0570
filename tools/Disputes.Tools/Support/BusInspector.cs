using Disputes.Procedure;
using StackExchange.Redis;

namespace Disputes.Tools.Support;

/// <summary>
/// Reads the Redis Streams layout the event bus writes: a stream per topic with one consumer group
/// per app, "{topic}-deadletter" beside it, and each service's outbox (one "{app}:{pNN}:outbox" stream per
/// partition) that the relay empties, summed over its partitions. Read-only.
/// </summary>
public sealed class BusInspector(IConnectionMultiplexer redis, TimeProvider timeProvider)
{
    /// <summary>When Redis cannot say a group's lag (entries were deleted), at most this many entries are counted.</summary>
    public const int LagCountLimit = 10_000;

    private IDatabase Db => redis.GetDatabase();

    public async Task<BusStatus> StatusAsync()
    {
        var now = timeProvider.GetUtcNow();
        var topics = new List<TopicStatus>();
        foreach (var (topic, eventType) in BusTopics.All)
        {
            var length = await LengthAsync(topic);
            var deadLetters = await LengthAsync(IntegrationEvents.DeadLetterTopicOf(topic));
            topics.Add(new TopicStatus(topic, eventType, length, deadLetters, await GroupsAsync(topic, now)));
        }
        return new BusStatus(now, topics, await OutboxesAsync(now));
    }

    private async Task<long> LengthAsync(RedisKey stream) =>
        await Db.KeyTypeAsync(stream) == RedisType.Stream ? await Db.StreamLengthAsync(stream) : 0;

    private async Task<IReadOnlyList<GroupStatus>> GroupsAsync(string topic, DateTimeOffset now)
    {
        if (await Db.KeyTypeAsync(topic) != RedisType.Stream)
            return [];
        var groups = new List<GroupStatus>();
        var lastId = (await Db.StreamInfoAsync(topic)).LastGeneratedId;
        foreach (var group in await Db.StreamGroupInfoAsync(topic))
        {
            TimeSpan? oldestAge = null, oldestIdle = null;
            int? deliveries = null;
            if (group.PendingMessageCount > 0)
            {
                var pending = await Db.StreamPendingAsync(topic, group.Name);
                if (!pending.LowestPendingMessageId.IsNull)
                {
                    oldestAge = StreamIds.AgeOf(pending.LowestPendingMessageId, now);
                    var oldest = await Db.StreamPendingMessagesAsync(topic, group.Name, 1, RedisValue.Null,
                        pending.LowestPendingMessageId, pending.LowestPendingMessageId);
                    if (oldest.Length > 0)
                    {
                        oldestIdle = TimeSpan.FromMilliseconds(oldest[0].IdleTimeInMilliseconds);
                        deliveries = oldest[0].DeliveryCount;
                    }
                }
            }
            // A group that has been given the stream's last entry lags by nothing, whatever Redis's
            // entries-read count says (it drifts, and then reports a lag on an idle group).
            var lag = group.LastDeliveredId == lastId.ToString() ? 0 : group.Lag ?? await CountAfterAsync(topic, group.LastDeliveredId);
            groups.Add(new GroupStatus(group.Name, lag, group.PendingMessageCount, group.ConsumerCount, oldestAge, oldestIdle, deliveries));
        }
        return groups.OrderBy(g => g.Group, StringComparer.Ordinal).ToArray();
    }

    /// <summary>Entries added after the group's last delivered one, counted up to <see cref="LagCountLimit"/>.</summary>
    private async Task<long?> CountAfterAsync(string topic, string? lastDeliveredId)
    {
        if (string.IsNullOrEmpty(lastDeliveredId))
            return null;
        var after = await Db.StreamRangeAsync(topic, "(" + lastDeliveredId, "+", LagCountLimit);
        return after.Length;
    }

    private async Task<IReadOnlyList<OutboxStatus>> OutboxesAsync(DateTimeOffset now)
    {
        var outboxes = new List<OutboxStatus>();
        foreach (var outbox in await OutboxStreams.FindByAppAsync(redis))
        {
            // Each read names one stream (its own slot on a cluster); a service's reads go out together.
            var batch = Db.CreateBatch();
            var lengths = outbox.Streams.Select(stream => batch.StreamLengthAsync(stream)).ToArray();
            var firsts = outbox.Streams.Select(stream => batch.StreamRangeAsync(stream, "-", "+", 1)).ToArray();
            var deadLetters = outbox.DeadLetterStreams.Select(stream => batch.StreamLengthAsync(stream)).ToArray();
            batch.Execute();
            var oldest = (await Task.WhenAll(firsts)).Where(first => first.Length > 0).Select(first => StreamIds.AgeOf(first[0].Id, now)).Max();
            outboxes.Add(new OutboxStatus(outbox.App, outbox.Name, (await Task.WhenAll(lengths)).Sum(), oldest,
                (await Task.WhenAll(deadLetters)).Sum(), outbox.Streams.Count));
        }
        return outboxes;
    }
}
