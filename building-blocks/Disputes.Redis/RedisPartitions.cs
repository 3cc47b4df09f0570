using System.Globalization;
using System.IO.Hashing;
using System.Text;
using StackExchange.Redis;

namespace Disputes.Redis;

/// <summary>
/// The hash-tag partitions that let the suite run on Redis Cluster, where a transaction or a
/// script may only touch keys of one hash slot. A dispute's keys, in every service, carry the
/// tag of its partition (a hash of the dispute id), and so does the service's outbox stream for
/// that partition, so one dispute's change and its event commit in one slot. The tag comes after
/// the service's prefix (<c>challenge:{p07}:challenges:…</c>), so per-service ACL key patterns
/// (<c>~challenge:*</c>) still match.
/// </summary>
/// <remarks>
/// <see cref="Count"/> is part of the stored layout: changing it moves every dispute to another
/// partition, so it is a constant, not a setting.
/// </remarks>
public static class RedisPartitions
{
    /// <summary>How many partitions (and outbox streams per service) there are.</summary>
    public const int Count = 16;

    /// <summary>The partition of a dispute (or any other partition key): stable across processes and versions.</summary>
    public static int Of(string partitionKey)
    {
        ArgumentNullException.ThrowIfNull(partitionKey);
        Span<byte> utf8 = partitionKey.Length <= 256 ? stackalloc byte[Encoding.UTF8.GetMaxByteCount(partitionKey.Length)] : new byte[Encoding.UTF8.GetMaxByteCount(partitionKey.Length)];
        var written = Encoding.UTF8.GetBytes(partitionKey, utf8);
        return (int)(XxHash32.HashToUInt32(utf8[..written]) % Count);
    }

    /// <summary>The hash tag of a partition, braces included: <c>{p07}</c>.</summary>
    public static string Tag(int partition)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(partition);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(partition, Count);
        return "{p" + partition.ToString("D2", CultureInfo.InvariantCulture) + "}";
    }

    /// <summary>The hash tag of the partition a dispute belongs to.</summary>
    public static string TagOf(string partitionKey) => Tag(Of(partitionKey));

    /// <summary>
    /// A key in a dispute's slot: <c>{prefix}{tag}:{rest}</c>, where <paramref name="prefix"/> is the
    /// service's prefix with its colon (<c>challenge:</c>), for example
    /// <c>KeyOf("challenge:", id, "challenges:" + id)</c> is <c>challenge:{p07}:challenges:{id}</c>.
    /// </summary>
    public static RedisKey KeyOf(string prefix, string partitionKey, string rest) => KeyIn(prefix, Of(partitionKey), rest);

    /// <summary>A key in a given partition's slot: <c>{prefix}{tag}:{rest}</c> (for per-partition indexes and streams).</summary>
    public static RedisKey KeyIn(string prefix, int partition, string rest) => $"{prefix}{Tag(partition)}:{rest}";

    /// <summary>Every partition, for a read that merges per-partition indexes.</summary>
    public static IEnumerable<int> All => Enumerable.Range(0, Count);
}
