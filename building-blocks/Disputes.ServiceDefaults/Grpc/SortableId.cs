using System.Buffers.Binary;
using System.Security.Cryptography;

namespace Disputes.ServiceDefaults.Grpc;

/// <summary>
/// Server-generated ids that sort by creation time: 48 bits of Unix milliseconds and 80
/// random bits, as 26 Crockford base-32 characters (the ULID layout).
/// </summary>
public static class SortableId
{
    private const string Alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
    public const int Length = 26;

    public static string New(TimeProvider timeProvider)
    {
        Span<byte> bytes = stackalloc byte[16];
        var millis = timeProvider.GetUtcNow().ToUnixTimeMilliseconds();
        for (var i = 5; i >= 0; i--)
        {
            bytes[i] = (byte)(millis & 0xFF);
            millis >>= 8;
        }
        RandomNumberGenerator.Fill(bytes[6..]);
        return Encode(bytes);
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

    private static string Encode(ReadOnlySpan<byte> bytes)
    {
        // 128 bits as 26 five-bit groups, most significant first (the first group holds 3 bits).
        var high = ((UInt128)BinaryPrimitives.ReadUInt64BigEndian(bytes[..8]) << 64) | BinaryPrimitives.ReadUInt64BigEndian(bytes[8..]);
        Span<char> chars = stackalloc char[Length];
        for (var i = Length - 1; i >= 0; i--)
        {
            chars[i] = Alphabet[(int)(high & 31)];
            high >>= 5;
        }
        return new string(chars);
    }
}
