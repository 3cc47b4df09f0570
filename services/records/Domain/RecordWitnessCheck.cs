using Disputes.V1;

namespace Disputes.Records.Domain;

/// <summary>The head another service witnessed: the sequence and chain hash it last saw published.</summary>
public sealed record WitnessedHead(long Sequence, string Hash);

/// <summary>What the witness says of a record; <see cref="Problem"/> is set when it shows entries lost.</summary>
public sealed record WitnessCheck(WitnessStatus Status, long WitnessedSequence, string? Problem = null, long? MissingAfterSequence = null,
    string? BrokenEntry = null)
{
    public static WitnessCheck Unavailable(string reason) => new(WitnessStatus.Unavailable, 0, null) { Reason = reason };

    /// <summary>Why the witness could not be asked, in words (only when unavailable).</summary>
    public string? Reason { get; init; }
}

/// <summary>
/// Compares the entries a record holds with the head a witness (another service, under its own
/// Redis user) last saw published. A record rolled back to an earlier genuine state (entries,
/// head and checkpoint together) verifies on its own, but not against a witness that saw more.
/// </summary>
public static class RecordWitnessCheck
{
    /// <param name="entries">The record's entries, in order, as read with its head.</param>
    /// <param name="witnessed">The head the witness holds, or null when it holds none for the record.</param>
    public static WitnessCheck Compare(IReadOnlyList<RecordEntry> entries, WitnessedHead? witnessed)
    {
        long count = entries.Count;
        if (witnessed is null || witnessed.Sequence <= 0)
            // Nothing witnessed yet: the first head's event is still on its way (or nothing to witness).
            return new WitnessCheck(count == 0 ? WitnessStatus.Matches : WitnessStatus.Behind, 0);

        if (witnessed.Sequence > count)
            return new WitnessCheck(WitnessStatus.AheadOfRecord, witnessed.Sequence,
                $"The witness saw the record reach sequence {witnessed.Sequence}, but it holds {count} entries: entries were removed or the record was rolled back.",
                count);

        var seen = entries[(int)witnessed.Sequence - 1];
        if (!string.Equals(seen.Hash, witnessed.Hash, StringComparison.Ordinal))
            return new WitnessCheck(WitnessStatus.AheadOfRecord, witnessed.Sequence,
                $"Entry {witnessed.Sequence} ({seen.Name}) is not the one the witness saw: the record was rewritten from there.", BrokenEntry: seen.Name);

        return new WitnessCheck(witnessed.Sequence == count ? WitnessStatus.Matches : WitnessStatus.Behind, witnessed.Sequence);
    }
}
