using Disputes.Notification.Domain;

namespace Disputes.UnitTests;

public class WatchCursorTests
{
    [Fact]
    public void A_cursor_keeps_one_position_per_partition_and_round_trips_as_text()
    {
        var cursor = WatchCursor.Start(4).After(2, "1732450000000-3").After(0, "1732450000001-0");

        var text = cursor.ToString();

        Assert.Equal("1732450000001-0.0.1732450000000-3.0", text);
        Assert.True(WatchCursor.TryParse(text, 4, out var parsed));
        Assert.Equal(["1732450000001-0", "0-0", "1732450000000-3", "0-0"], Enumerable.Range(0, 4).Select(p => parsed[p]));
    }

    [Fact]
    public void Moving_past_an_entry_changes_only_its_partition()
    {
        var before = WatchCursor.Start(3).After(1, "5-0");
        var after = before.After(2, "3-1");

        Assert.Equal("0.5-0.0", before.ToString());
        Assert.Equal("0.5-0.3-1", after.ToString());
    }

    [Theory]
    [InlineData("")]
    [InlineData("1732450000000-0")]
    [InlineData("0.0.0")]
    [InlineData("0.0.0.0.0")]
    [InlineData("0.0.x-1.0")]
    [InlineData("0.0.1-.0")]
    [InlineData("0.0.1-2-3.0")]
    [InlineData("0.0.99999999999999999999-0.0")]
    [InlineData("0.0.+1-0.0")]
    public void Text_that_is_not_a_cursor_of_this_many_partitions_is_refused(string text) =>
        Assert.False(WatchCursor.TryParse(text, 4, out _));
}
