using StackExchange.Redis;

namespace Disputes.Challenge.Storage;

/// <summary>
/// Every conditional write of a challenge as one Lua script (EVALSHA; StackExchange.Redis loads it
/// again with EVAL after a server restart): the checks, then the challenge's fields, the request
/// id, the indexes and the outbox entry, on the server in one step and one round trip. All checks,
/// key types included, come before the first write: Redis does not roll a script back, so a
/// script that fails must fail before it has written anything.
/// </summary>
internal static class ChallengeWriteScript
{
    public const long Written = 1;
    public const long Conflict = 0;

    /// <summary>
    /// KEYS: challenge hash, request hash ('' when none), outbox stream ('' when no event), index sorted sets...
    /// ARGV: expected version ('' = the challenge must not exist), index member, request hash ('' when none),
    /// request result, request retention in ms, envelope ('' when none), outbox envelope field,
    /// then field/value pairs of the challenge hash.
    /// Returns 1 written, 0 conflict (nothing written), or {request hash, result} when the request id
    /// was already applied (nothing written).
    /// </summary>
    public const string Source = """
        local function expect(key, wanted)
          if key == '' then return end
          local kind = redis.call('TYPE', key).ok
          if kind ~= 'none' and kind ~= wanted then
            error('WRONGTYPE ' .. key .. ' is a ' .. kind .. ', not a ' .. wanted)
          end
        end
        expect(KEYS[1], 'hash')
        expect(KEYS[2], 'hash')
        expect(KEYS[3], 'stream')
        for i = 4, #KEYS do expect(KEYS[i], 'zset') end

        -- A request id already applied answers first: a retry racing its own first call is a replay, not a conflict.
        if ARGV[3] ~= '' and redis.call('EXISTS', KEYS[2]) == 1 then
          return redis.call('HMGET', KEYS[2], 'request', 'result')
        end
        if ARGV[1] == '' then
          if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
        elseif redis.call('HGET', KEYS[1], 'version') ~= ARGV[1] then
          return 0
        end

        redis.call('HSET', KEYS[1], unpack(ARGV, 8))
        if ARGV[3] ~= '' then
          redis.call('HSET', KEYS[2], 'request', ARGV[3], 'result', ARGV[4])
          redis.call('PEXPIRE', KEYS[2], ARGV[5])
        end
        for i = 4, #KEYS do redis.call('ZADD', KEYS[i], 0, ARGV[2]) end
        if ARGV[6] ~= '' then redis.call('XADD', KEYS[3], '*', ARGV[7], ARGV[6]) end
        return 1
        """;
}
