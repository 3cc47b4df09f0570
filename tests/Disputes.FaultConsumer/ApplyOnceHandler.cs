using Disputes.EventBus;
using Disputes.V1.Events;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Disputes.FaultConsumer;

/// <summary>
/// Applies each event once, whatever kills the process between any two steps: the application
/// (a count per event id) and its guard are written in one script, so a redelivery after a crash
/// finds the guard and applies nothing. Handler runs are counted apart, to show the redeliveries.
/// The keys share one hash tag, so the script keeps to one slot on a Redis Cluster.
/// </summary>
public sealed class ApplyOnceHandler(IConnectionMultiplexer redis, IOptions<EventBusOptions> options) : IIntegrationEventHandler<ChallengeRaised>
{
    private static readonly LuaScript Apply = LuaScript.Prepare(
        "if redis.call('SET', @guard, '1', 'NX') then redis.call('HINCRBY', @applied, @id, 1) return 1 end " +
        "redis.call('HINCRBY', @suppressed, @id, 1) return 0");

    public async Task HandleAsync(ChallengeRaised @event, EventContext context, CancellationToken cancellationToken)
    {
        var app = options.Value.AppId;
        var db = redis.GetDatabase();
        await db.StringIncrementAsync($"{app}:{{counts}}:runs");
        // A little work, so that a kill lands inside a batch rather than between them.
        await Task.Delay(1, cancellationToken);
        await db.ScriptEvaluateAsync(Apply, new
        {
            guard = (RedisKey)$"{app}:{{counts}}:applied-guard:{context.EventId}",
            applied = (RedisKey)$"{app}:{{counts}}:applied",
            suppressed = (RedisKey)$"{app}:{{counts}}:suppressed",
            id = context.EventId,
        });
    }
}
