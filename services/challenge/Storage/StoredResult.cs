using System.IO.Compression;

namespace Disputes.Challenge.Storage;

/// <summary>
/// The challenge a request id produced, as its request key keeps it for replays: Brotli-compressed,
/// since every command with a request id keeps one (the narrative compresses well), and read back
/// only when a retry comes.
/// </summary>
internal static class StoredResult
{
    public static byte[] Compress(byte[] result)
    {
        var buffer = new byte[BrotliEncoder.GetMaxCompressedLength(result.Length)];
        // Quality 5 of 11: most of the gain for little CPU on a payload this small.
        return BrotliEncoder.TryCompress(result, buffer, out var written, quality: 5, window: 22)
            ? buffer[..written]
            : throw new InvalidOperationException("A challenge could not be compressed.");
    }

    public static byte[] Decompress(byte[] stored)
    {
        using var input = new MemoryStream(stored);
        using var brotli = new BrotliStream(input, CompressionMode.Decompress);
        using var output = new MemoryStream(stored.Length * 3);
        brotli.CopyTo(output);
        return output.ToArray();
    }
}
