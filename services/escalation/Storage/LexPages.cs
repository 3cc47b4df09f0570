using StackExchange.Redis;

namespace Disputes.Escalation.Storage;

/// <summary>Pages of a sorted set whose members all score 0, in member order (ZRANGE ... BYLEX).</summary>
internal static class LexPages
{
    /// <summary>Members after <paramref name="after"/> (or from it, when inclusive) up to <paramref name="before"/>.</summary>
    public static async Task<IReadOnlyList<string>> RangeAsync(IDatabaseAsync db, RedisKey index, string? after, string? before, int take, bool inclusiveStart = false)
    {
        // Written out: the lexicographic bounds are sent exactly as given.
        var min = after is null ? "-" : (inclusiveStart ? "[" : "(") + after;
        var max = before is null ? "+" : "[" + before;
        var result = await db.ExecuteAsync("ZRANGE", index, min, max, "BYLEX", "LIMIT", 0, take);
        return ((RedisResult[])result!).Select(r => r.ToString()).ToArray();
    }
}
