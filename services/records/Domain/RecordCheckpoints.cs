using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Disputes.Records.Domain;

/// <summary>A sealed statement that the record of a challenge ended at a sequence with a hash.</summary>
public sealed record RecordCheckpoint(long Sequence, string Hash, string Mac)
{
    public override string ToString() => $"{Sequence}:{Hash}:{Mac}";

    public static RecordCheckpoint? Parse(string? text)
    {
        var parts = text?.Split(':');
        return parts is { Length: 3 } && long.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var sequence)
            ? new RecordCheckpoint(sequence, parts[1], parts[2])
            : text is null ? null : new RecordCheckpoint(-1, "", "");
    }
}

/// <summary>
/// HMAC-SHA256 checkpoints of (challenge, sequence, head hash) with a key kept outside Redis
/// (configuration): whoever can write Redis but not read the key can cut a record's tail or
/// rewrite it wholesale, but cannot write a checkpoint that vouches for the result.
/// </summary>
public sealed class RecordCheckpoints
{
    private readonly byte[]? _key;

    public RecordCheckpoints(byte[]? key)
    {
        if (key is { Length: < 32 })
            throw new ArgumentException("The checkpoint key must be at least 32 bytes.", nameof(key));
        _key = key;
    }

    public static RecordCheckpoints FromBase64(string? base64) =>
        new(string.IsNullOrWhiteSpace(base64) ? null : Convert.FromBase64String(base64));

    public bool Configured => _key is not null;

    /// <summary>The checkpoint of a record ending at <paramref name="sequence"/>; null without a key.</summary>
    public RecordCheckpoint? Seal(string challengeId, long sequence, string hash) =>
        _key is null ? null : new RecordCheckpoint(sequence, hash, MacOf(challengeId, sequence, hash));

    public bool IsValid(string challengeId, RecordCheckpoint checkpoint) =>
        _key is not null && checkpoint.Sequence >= 0
        && CryptographicOperations.FixedTimeEquals(
            Encoding.ASCII.GetBytes(MacOf(challengeId, checkpoint.Sequence, checkpoint.Hash)),
            Encoding.ASCII.GetBytes(checkpoint.Mac));

    private string MacOf(string challengeId, long sequence, string hash) =>
        // One field per line: none of the three can contain a line break, so no two inputs read alike.
        Convert.ToHexStringLower(HMACSHA256.HashData(_key!, Encoding.UTF8.GetBytes(
            $"disputes.v1.record-checkpoint\n{challengeId}\n{sequence.ToString(CultureInfo.InvariantCulture)}\n{hash}")));
}
