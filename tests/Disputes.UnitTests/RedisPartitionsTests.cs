using Disputes.Redis;

namespace Disputes.UnitTests;

public sealed class RedisPartitionsTests
{
    [Fact]
    public void A_dispute_always_falls_in_the_same_partition()
    {
        // Stored keys depend on it: the value must not change between processes or releases.
        Assert.Equal(RedisPartitions.Of("01JDISPUTE000000000000000A"), RedisPartitions.Of("01JDISPUTE000000000000000A"));
        Assert.Equal(RedisPartitions.Of("c-1"), RedisPartitions.Of(new string(['c', '-', '1'])));
        Assert.InRange(RedisPartitions.Of(""), 0, RedisPartitions.Count - 1);
    }

    [Fact]
    public void Disputes_spread_over_every_partition()
    {
        var counts = new int[RedisPartitions.Count];
        for (var i = 0; i < 16_000; i++)
            counts[RedisPartitions.Of($"challenge-{i}")]++;
        Assert.All(counts, count => Assert.InRange(count, 800, 1200));
    }

    [Fact]
    public void A_key_carries_the_tag_after_the_service_prefix()
    {
        var tag = RedisPartitions.TagOf("c-1");
        Assert.Matches(@"^\{p\d\d\}$", tag);
        Assert.Equal($"challenge:{tag}:challenges:c-1", RedisPartitions.KeyOf("challenge:", "c-1", "challenges:c-1").ToString());
        Assert.Equal("records:{p03}:index", RedisPartitions.KeyIn("records:", 3, "index").ToString());
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(RedisPartitions.Count)]
    public void A_partition_outside_the_range_is_refused(int partition) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => RedisPartitions.Tag(partition));
}
