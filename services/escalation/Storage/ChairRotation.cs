using StackExchange.Redis;

namespace Disputes.Escalation.Storage;

/// <summary>Where the independent-chair rotation stands: the last chair appointed by it.</summary>
public sealed class ChairRotation(IConnectionMultiplexer redis)
{
    private static RedisKey Key => "escalation:chair-rotation";

    public async Task<string?> LastAppointedAsync() => (string?)await redis.GetDatabase().StringGetAsync(Key);

    public Task AppointedAsync(string chairName) => redis.GetDatabase().StringSetAsync(Key, chairName);
}
