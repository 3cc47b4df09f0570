using Disputes.V1;
using StackExchange.Redis;

namespace Disputes.Escalation.Storage;

/// <summary>Where the independent-chair rotation stands: the last chair appointed by it.</summary>
public sealed class ChairRotation(IConnectionMultiplexer redis)
{
    private const int Attempts = 16;

    private static RedisKey Key => "escalation:chair-rotation";

    /// <summary>
    /// Takes the next chair of the rotation: <paramref name="choose"/> picks it after the last one, and
    /// the rotation moves to it only if nobody moved it meanwhile (else it picks again), so two
    /// appointments at once never take the same turn. The turn is taken before the appointment is
    /// saved: should that fail, the rotation has skipped a chair rather than give one two turns.
    /// Null when <paramref name="choose"/> finds nobody. Should the rotation keep moving under it,
    /// the chair after the last one read is returned without a turn: an appointment is never refused
    /// for the rotation's sake.
    /// </summary>
    public async Task<Professional?> TakeNextAsync(Func<string?, Professional?> choose)
    {
        var db = redis.GetDatabase();
        Professional? next = null;
        for (var attempt = 0; attempt < Attempts; attempt++)
        {
            var last = (string?)await db.StringGetAsync(Key);
            if ((next = choose(last)) is null)
                return null;
            var take = db.CreateTransaction();
            take.AddCondition(last is null ? Condition.KeyNotExists(Key) : Condition.StringEqual(Key, last));
            _ = take.StringSetAsync(Key, next.Name);
            if (await take.ExecuteAsync())
                return next;
        }
        return next;
    }

    /// <summary>A chair named by the partnership: the rotation goes on after them.</summary>
    public Task AppointedAsync(string chairName) => redis.GetDatabase().StringSetAsync(Key, chairName);
}
