using StackExchange.Redis;

namespace Disputes.Challenge.Storage;

/// <summary>
/// Every conditional write of a challenge as one Lua script (EVALSHA; StackExchange.Redis loads it
/// again with EVAL after a server restart): the checks, then the challenge's fields, the request
/// id, the indexes and the outbox entry, on the server in one step and one round trip. All checks,
/// key types included, come before the first write: Redis does not roll a script back, so a
/// script that fails must fail before it has written anything. Every key it is given lies in the
/// challenge's partition (one hash slot), so it runs on a Redis Cluster too.
/// </summary>
internal static class ChallengeWriteScript
{
    public const long Written = 1;
    public const long Conflict = 0;

    /// <summary>
    /// KEYS: challenge hash, then the request key (a string) when there is a request, then the outbox stream when
    /// there is an event, then the index sorted sets (absent keys are left out, not passed empty: an empty
    /// key name has a hash slot of its own).
    /// ARGV: expected version ('' = the challenge must not exist), index member, request record ('' when none:
    /// the request's hash and its result, see <see cref="ChallengeStore"/>), request retention in ms,
    /// envelope ('' when none), outbox envelope field, then field/value pairs of the challenge hash.
    /// Returns 1 written, 0 conflict (nothing written), or {request record} when the request id was already
    /// applied (nothing written).
    /// </summary>
    public const string Source = """
        local at = 2
        local request, stream
        if ARGV[3] ~= '' then request = KEYS[at]; at = at + 1 end
        if ARGV[5] ~= '' then stream = KEYS[at]; at = at + 1 end

        local function expect(key, wanted)
          if key == nil then return end
          local kind = redis.call('TYPE', key).ok
          if kind ~= 'none' and kind ~= wanted then
            error('WRONGTYPE ' .. key .. ' is a ' .. kind .. ', not a ' .. wanted)
          end
        end
        expect(KEYS[1], 'hash')
        expect(request, 'string')
        expect(stream, 'stream')
        for i = at, #KEYS do expect(KEYS[i], 'zset') end

        -- A request id already applied answers first: a retry racing its own first call is a replay, not a conflict.
        if request and redis.call('EXISTS', request) == 1 then
          return {redis.call('GET', request)}
        end
        if ARGV[1] == '' then
          if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
        elseif redis.call('HGET', KEYS[1], 'version') ~= ARGV[1] then
          return 0
        end

        redis.call('HSET', KEYS[1], unpack(ARGV, 7))
        if request then
          redis.call('SET', request, ARGV[3], 'PX', ARGV[4])
        end
        for i = at, #KEYS do redis.call('ZADD', KEYS[i], 0, ARGV[2]) end
        if stream then redis.call('XADD', stream, '*', ARGV[6], ARGV[5]) end
        return 1
        """;
}
