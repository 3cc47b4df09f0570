using System.Security.Cryptography;
using Disputes.V1;
using Google.Protobuf;

namespace Disputes.Records.Domain;

/// <summary>
/// The tamper evidence of a record: each entry's hash covers its fields, the hash of its
/// narrative (summary and meeting, hashed apart so that a purge of expired narrative leaves
/// the chain verifiable) and the previous entry's hash, so changing, removing or reordering
/// any entry breaks every hash after it.
/// </summary>
public static class RecordChain
{
    /// <summary>Links <paramref name="entry"/> after the entry whose hash is <paramref name="previousHash"/> and seals it.</summary>
    public static RecordEntry Seal(RecordEntry entry, string previousHash)
    {
        entry.ContentHash = ContentHashOf(entry);
        entry.PreviousHash = previousHash;
        entry.Hash = HashOf(entry);
        return entry;
    }

    public static string HashOf(RecordEntry entry)
    {
        var unsealed = entry.Clone();
        unsealed.Hash = "";
        unsealed.Summary = "";
        unsealed.Meeting = null;
        unsealed.PurgeTime = null;
        // Protobuf's binary form is deterministic for messages without maps, as RecordEntry is.
        return Convert.ToHexStringLower(SHA256.HashData(unsealed.ToByteArray()));
    }

    public static string ContentHashOf(RecordEntry entry)
    {
        var content = new RecordEntry { Summary = entry.Summary };
        if (entry.Meeting is not null)
            content.Meeting = entry.Meeting;
        return Convert.ToHexStringLower(SHA256.HashData(content.ToByteArray()));
    }

    /// <summary>The entry with its narrative removed: the stub a purge leaves, still in the chain.</summary>
    public static RecordEntry Purged(RecordEntry entry, DateTimeOffset now)
    {
        var stub = entry.Clone();
        stub.Summary = "";
        stub.Meeting = null;
        stub.PurgeTime = Google.Protobuf.WellKnownTypes.Timestamp.FromDateTimeOffset(now);
        return stub;
    }

    /// <summary>
    /// The first entry that does not follow from the ones before it, or null when the chain is
    /// unbroken. A purged entry's narrative is gone, so only its chain hash can be checked.
    /// </summary>
    public static RecordEntry? FirstBroken(IEnumerable<RecordEntry> entries)
    {
        var previous = "";
        long sequence = 0;
        foreach (var entry in entries)
        {
            if (entry.Sequence != ++sequence || entry.PreviousHash != previous || entry.Hash != HashOf(entry)
                || (entry.PurgeTime is null && entry.ContentHash != ContentHashOf(entry)))
                return entry;
            previous = entry.Hash;
        }
        return null;
    }

    /// <summary>
    /// Checks the chain, then that it ends where its head and its checkpoint say: a chain that
    /// verifies on its own may still have lost its tail, or the whole record may be gone.
    /// </summary>
    public static RecordVerification Verify(string challengeId, IReadOnlyList<RecordEntry> entries, RecordHead? head,
        RecordCheckpoint? checkpoint, RecordCheckpoints checkpoints, bool recordOpened)
    {
        var problems = new List<string>();
        var broken = FirstBroken(entries);
        if (broken is not null)
            problems.Add($"Entry {broken.Sequence} ({broken.Name}) does not follow from the entries before it.");

        // A purge always records itself: narrative gone without a PURGED entry is tampering.
        if (!entries.Any(e => e.Kind == RecordEntryKind.Purged) && entries.FirstOrDefault(e => e.PurgeTime is not null) is { } unpurged)
        {
            broken ??= unpurged;
            problems.Add($"Entry {unpurged.Sequence} has lost its narrative, but the record was never purged.");
        }

        long count = entries.Count;
        long expected = Math.Max(head?.Sequence ?? 0, 0);
        if (head is null && (count > 0 || recordOpened))
            problems.Add("The record's head is missing.");
        else if (head is not null && head.Sequence == count && count > 0 && entries[^1].Hash != head.Hash)
        {
            broken ??= entries[^1];
            problems.Add("The last entry is not the one the head names.");
        }
        else if (head is not null && head.Sequence < count)
        {
            broken ??= entries[(int)head.Sequence];
            problems.Add($"Entries after sequence {head.Sequence} were added without moving the head.");
        }

        CheckpointStatus status;
        if (!checkpoints.Configured)
            status = CheckpointStatus.NotConfigured;
        else if (checkpoint is null)
        {
            status = CheckpointStatus.Missing;
            if (count > 0 || head is not null || recordOpened)
                problems.Add("The record's checkpoint is missing.");
            else
                status = CheckpointStatus.Unspecified;
        }
        else if (!checkpoints.IsValid(challengeId, checkpoint))
        {
            status = CheckpointStatus.Forged;
            problems.Add("The record's checkpoint was not written with the service's key.");
        }
        else
        {
            status = CheckpointStatus.Valid;
            expected = Math.Max(expected, checkpoint.Sequence);
            if (checkpoint.Sequence <= count && checkpoint.Sequence > 0 && entries[(int)checkpoint.Sequence - 1].Hash != checkpoint.Hash)
            {
                broken ??= entries[(int)checkpoint.Sequence - 1];
                problems.Add($"Entry {checkpoint.Sequence} is not the one the checkpoint sealed.");
            }
            if (checkpoint.Sequence < count)
            {
                broken ??= entries[(int)checkpoint.Sequence];
                problems.Add($"Entries after sequence {checkpoint.Sequence} were not sealed by the service.");
            }
        }

        if (recordOpened && expected == 0 && count == 0)
            expected = 1;
        long? missingAfter = expected > count ? count : null;
        if (missingAfter is not null)
            problems.Add(count == 0 ? "The record has been deleted." : $"Entries after sequence {count} are missing (the record ended at {expected}).");

        return new RecordVerification(problems.Count == 0, count, broken?.Name ?? "", missingAfter, expected, status, problems);
    }
}

/// <summary>Where a record ends: the last sequence and its hash.</summary>
public sealed record RecordHead(long Sequence, string Hash)
{
    public override string ToString() => $"{Sequence}:{Hash}";

    public static RecordHead? Parse(string? text)
    {
        if (string.IsNullOrEmpty(text))
            return null;
        var separator = text.IndexOf(':');
        return separator > 0 && long.TryParse(text[..separator], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var sequence)
            ? new RecordHead(sequence, text[(separator + 1)..])
            : new RecordHead(-1, text);
    }
}

public sealed record RecordVerification(
    bool Intact,
    long EntriesChecked,
    string FirstBrokenEntry,
    long? MissingAfterSequence,
    long HeadSequence,
    CheckpointStatus Checkpoint,
    IReadOnlyList<string> Problems);
