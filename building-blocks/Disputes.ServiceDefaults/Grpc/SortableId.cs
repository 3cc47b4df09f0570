using System.Buffers.Binary;
using System.Security.Cryptography;

namespace Disputes.ServiceDefaults.Grpc;

/// <summary>
/// Server-generated ids that sort by creation time: 48 bits of Unix milliseconds and 80
/// random bits, as 26 Crockford base-32 characters (the ULID layout). Within a process and a
/// millisecond they are monotonic (ULID's monotonic mode): an id made in the same millisecond
/// as the last is the last one plus one, so lists by id keep the order things were created in.
/// </summary>
public static class SortableId
{
    private const string Alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
    public const int Length = 26;

    private static readonly Lock Gate = new();
    private static UInt128 _last;

    public static string New(TimeProvider timeProvider)
    {
        var millis = (ulong)Math.Max(0, timeProvider.GetUtcNow().ToUnixTimeMilliseconds());
        Span<byte> random = stackalloc byte[10];
        RandomNumberGenerator.Fill(random);
        var next = ((UInt128)millis << 80)
            | ((UInt128)BinaryPrimitives.ReadUInt16BigEndian(random[..2]) << 64) | BinaryPrimitives.ReadUInt64BigEndian(random[2..]);
        lock (Gate)
        {
            // Only within one millisecond: an id always carries the time it was made at.
            if (_last >> 80 == millis && next <= _last && (_last + 1) >> 80 == millis)
                next = _last + 1;
            _last = next;
        }
        return Encode(next);
    }

    public static bool IsValid(string? id) =>
        id is { Length: Length } && id[0] <= '7' && id.All(c => Alphabet.Contains(c));

    /// <summary>The creation time encoded in the id.</summary>
    public static DateTimeOffset TimeOf(string id)
    {
        long millis = 0;
        foreach (var c in id[..10])
            millis = (millis << 5) | (long)Alphabet.IndexOf(c);
        return DateTimeOffset.FromUnixTimeMilliseconds(millis);
    }

    private static string Encode(UInt128 high)
    {
        // 128 bits as 26 five-bit groups, most significant first (the first group holds 3 bits).
        Span<char> chars = stackalloc char[Length];
        for (var i = Length - 1; i >= 0; i--)
        {
            chars[i] = Alphabet[(int)(high & 31)];
            high >>= 5;
        }
        return new string(chars);
    }
}
