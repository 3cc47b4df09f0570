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
    /// KEYS: challenge hash, then the request hash when there is a request, then the outbox stream when
    /// there is an event, then the index sorted sets (absent keys are left out, not passed empty: an empty
    /// key name has a hash slot of its own).
    /// ARGV: expected version ('' = the challenge must not exist), index member, request hash ('' when none),
    /// request result, request retention in ms, envelope ('' when none), outbox envelope field,
    /// then field/value pairs of the challenge hash.
    /// Returns 1 written, 0 conflict (nothing written), or {request hash, result} when the request id
    /// was already applied (nothing written).
    /// </summary>
    public const string Source = """
        local next = 2
        local request, stream
        if ARGV[3] ~= '' then request = KEYS[next]; next = next + 1 end
        if ARGV[6] ~= '' then stream = KEYS[next]; next = next + 1 end

        local function expect(key, wanted)
          if key == nil then return end
          local kind = redis.call('TYPE', key).ok
          if kind ~= 'none' and kind ~= wanted then
            error('WRONGTYPE ' .. key .. ' is a ' .. kind .. ', not a ' .. wanted)
          end
        end
        expect(KEYS[1], 'hash')
        expect(request, 'hash')
        expect(stream, 'stream')
        for i = next, #KEYS do expect(KEYS[i], 'zset') end

        -- A request id already applied answers first: a retry racing its own first call is a replay, not a conflict.
        if request and redis.call('EXISTS', request) == 1 then
          return redis.call('HMGET', request, 'request', 'result')
        end
        if ARGV[1] == '' then
          if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
        elseif redis.call('HGET', KEYS[1], 'version') ~= ARGV[1] then
          return 0
        end

        redis.call('HSET', KEYS[1], unpack(ARGV, 8))
        if request then
          redis.call('HSET', request, 'request', ARGV[3], 'result', ARGV[4])
          redis.call('PEXPIRE', request, ARGV[5])
        end
        for i = next, #KEYS do redis.call('ZADD', KEYS[i], 0, ARGV[2]) end
        if stream then redis.call('XADD', stream, '*', ARGV[7], ARGV[6]) end
        return 1
        """;
}
