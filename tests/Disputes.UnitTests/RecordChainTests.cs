using Disputes.Records.Domain;
using Disputes.V1;

namespace Disputes.UnitTests;

public class RecordChainTests
{
    private static List<RecordEntry> Chain(int length)
    {
        var entries = new List<RecordEntry>();
        for (var i = 1; i <= length; i++)
        {
            var entry = new RecordEntry { Name = $"challenges/c/entries/{i}", Sequence = i, Kind = RecordEntryKind.Discussion, Summary = $"discussion {i}" };
            entries.Add(RecordChain.Seal(entry, entries.Count == 0 ? "" : entries[^1].Hash));
        }
        return entries;
    }

    [Fact]
    public void An_untouched_record_is_intact() => Assert.Null(RecordChain.FirstBroken(Chain(5)));

    [Fact]
    public void Changing_the_words_of_an_entry_is_detected_at_that_entry()
    {
        var entries = Chain(5);
        entries[2].Summary = "a different account";
        Assert.Equal("challenges/c/entries/3", RecordChain.FirstBroken(entries)?.Name);
    }

    [Fact]
    public void Removing_an_entry_is_detected()
    {
        var entries = Chain(5);
        entries.RemoveAt(1);
        Assert.Equal("challenges/c/entries/3", RecordChain.FirstBroken(entries)?.Name);
    }

    [Fact]
    public void Rewriting_an_entry_and_resealing_it_still_breaks_the_next()
    {
        var entries = Chain(5);
        entries[1].Summary = "rewritten";
        RecordChain.Seal(entries[1], entries[0].Hash);
        Assert.Equal("challenges/c/entries/3", RecordChain.FirstBroken(entries)?.Name);
    }

    [Fact]
    public void The_raised_entry_minutes_what_was_challenged_and_why()
    {
        var entry = RecordEntries.Raised(TestEvents.Raised());
        Assert.Equal(RecordEntryKind.ChallengeRaised, entry.Kind);
        Assert.Contains("Case closed after a single visit.", entry.Summary);
        Assert.Contains("Re-open the case", entry.Summary);
        Assert.Contains("Category: case closure.", entry.Summary);
        Assert.Equal("", RecordEntries.ForSupport(entry).Summary);
    }
}
