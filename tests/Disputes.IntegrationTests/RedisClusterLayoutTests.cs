using Disputes.Redis;
using StackExchange.Redis;

namespace Disputes.IntegrationTests;

/// <summary>What the key layout promises a Redis Cluster: one dispute's keys share a slot; keys of two partitions do not.</summary>
[Collection(RedisCollection.Name)]
public sealed class RedisClusterLayoutTests(RedisServerFixture redis)
{
    [Fact]
    public void A_disputes_keys_in_every_service_share_one_hash_slot()
    {
        var slots = new[] { "challenge:", "escalation:", "notification:", "records:" }
            .Select(prefix => HashSlot.Of(RedisPartitions.KeyOf(prefix, "c-1", "anything:c-1")))
            .Append(HashSlot.Of(RedisPartitions.KeyIn("challenge:", RedisPartitions.Of("c-1"), "outbox")))
            .Distinct();
        Assert.Single(slots);
        Assert.NotEqual(HashSlot.Of(RedisPartitions.KeyIn("challenge:", 0, "outbox")), HashSlot.Of(RedisPartitions.KeyIn("challenge:", 1, "outbox")));
    }

    [Fact]
    public async Task A_transaction_over_two_partitions_is_refused_only_by_a_cluster()
    {
        var first = RedisPartitions.KeyIn("challenge:", 0, "probe");
        var second = RedisPartitions.KeyIn("challenge:", 1, "probe");

        var transaction = redis.Redis.GetDatabase().CreateTransaction();
        _ = transaction.StringSetAsync(first, 1);
        _ = transaction.StringSetAsync(second, 1);
        if (RedisServerFixture.IsCluster)
        {
            // The test's slot function is the server's.
            var server = redis.Redis.GetServers()[0];
            Assert.Equal(HashSlot.Of(first), (int)await server.ExecuteAsync("CLUSTER", "KEYSLOT", first.ToString()));
            await Assert.ThrowsAsync<RedisCommandException>(() => transaction.ExecuteAsync());
        }
        else
            Assert.True(await transaction.ExecuteAsync());
    }
}

/// <summary>Redis Cluster's key slot (CRC16/XMODEM of the hash tag, or of the key without one, modulo 16384), as the server computes it.</summary>
internal static class HashSlot
{
    public static int Of(RedisKey key)
    {
        var text = key.ToString();
        var open = text.IndexOf('{');
        if (open >= 0)
        {
            var close = text.IndexOf('}', open + 1);
            if (close > open + 1)
                text = text[(open + 1)..close];
        }
        ushort crc = 0;
        foreach (var b in System.Text.Encoding.UTF8.GetBytes(text))
        {
            crc ^= (ushort)(b << 8);
            for (var i = 0; i < 8; i++)
                crc = (crc & 0x8000) != 0 ? (ushort)((crc << 1) ^ 0x1021) : (ushort)(crc << 1);
        }
        return crc % 16384;
    }
}
