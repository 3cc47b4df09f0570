using System.Security.Cryptography;
using Disputes.V1;
using Google.Protobuf;

namespace Disputes.Records.Domain;

/// <summary>
/// The tamper evidence of a record: each entry's hash covers its content and the previous
/// entry's hash, so changing, removing or reordering any entry breaks every hash after it.
/// </summary>
public static class RecordChain
{
    /// <summary>Links <paramref name="entry"/> after the entry whose hash is <paramref name="previousHash"/> and seals it.</summary>
    public static RecordEntry Seal(RecordEntry entry, string previousHash)
    {
        entry.PreviousHash = previousHash;
        entry.Hash = HashOf(entry);
        return entry;
    }

    public static string HashOf(RecordEntry entry)
    {
        var unsealed = entry.Clone();
        unsealed.Hash = "";
        // Protobuf's binary form is deterministic for messages without maps, as RecordEntry is.
        return Convert.ToHexStringLower(SHA256.HashData(unsealed.ToByteArray()));
    }

    /// <summary>The first entry that does not follow from the ones before it, or null when the record is intact.</summary>
    public static RecordEntry? FirstBroken(IEnumerable<RecordEntry> entries)
    {
        var previous = "";
        long sequence = 0;
        foreach (var entry in entries)
        {
            if (entry.Sequence != ++sequence || entry.PreviousHash != previous || entry.Hash != HashOf(entry))
                return entry;
            previous = entry.Hash;
        }
        return null;
    }
}
