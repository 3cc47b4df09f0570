using Disputes.ServiceDefaults.Grpc;
using Microsoft.Extensions.Time.Testing;

namespace Disputes.UnitTests;

public class SortableIdTests
{
    [Fact]
    public void Ids_sort_by_creation_time_and_carry_it()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 11, 23, 9, 30, 0, TimeSpan.Zero));
        var first = SortableId.New(time);
        time.Advance(TimeSpan.FromMilliseconds(1));
        var second = SortableId.New(time);

        Assert.True(string.CompareOrdinal(first, second) < 0);
        Assert.Equal(new DateTimeOffset(2026, 11, 23, 9, 30, 0, TimeSpan.Zero), SortableId.TimeOf(first));
        Assert.True(SortableId.IsValid(first));
        Assert.Equal(SortableId.Length, first.Length);
    }

    [Fact]
    public void Ids_made_in_the_same_millisecond_differ()
    {
        var time = new FakeTimeProvider();
        var ids = Enumerable.Range(0, 1000).Select(_ => SortableId.New(time)).ToHashSet();
        Assert.Equal(1000, ids.Count);
    }

    [Fact]
    public void Ids_made_in_the_same_millisecond_keep_the_order_they_were_made_in()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 11, 24, 10, 0, 0, TimeSpan.Zero));
        var ids = Enumerable.Range(0, 1000).Select(_ => SortableId.New(time)).ToArray();

        Assert.Equal(ids, ids.Order(StringComparer.Ordinal));
        Assert.All(ids, id => Assert.Equal(time.GetUtcNow(), SortableId.TimeOf(id)));
    }

    [Theory]
    [InlineData("")]
    [InlineData("not-an-id")]
    [InlineData("01JD000000000000000000000U")]
    [InlineData("91JD0000000000000000000000")]
    public void Malformed_ids_are_not_valid(string id) => Assert.False(SortableId.IsValid(id));
}
