using System.Security.Cryptography;
using System.Text;
using StackExchange.Redis;

namespace Disputes.Records.Storage;

/// <summary>
/// A Lua script run with EVALSHA (loaded on first use, again after a server restart): the
/// check and every write of one change run on the server as one step, with nothing between.
/// </summary>
public sealed class RecordScript(string source)
{
    private readonly byte[] _sha1 = SHA1.HashData(Encoding.UTF8.GetBytes(source));

    public async Task<RedisResult> RunAsync(IDatabaseAsync db, RedisKey[] keys, RedisValue[] values)
    {
        try
        {
            return await db.ScriptEvaluateAsync(_sha1, keys, values);
        }
        catch (RedisServerException ex) when (ex.Message.StartsWith("NOSCRIPT", StringComparison.Ordinal))
        {
            // EVAL runs it once and leaves it in the server's script cache for the next EVALSHA.
            return await db.ScriptEvaluateAsync(source, keys, values);
        }
    }
}

/// <summary>The scripts of the record store.</summary>
public static class RecordScripts
{
    public const string Appended = "APPENDED";
    public const string Held = "HELD";
    public const string Conflict = "CONFLICT";
    public const string Duplicate = "DUPLICATE";

    /// <summary>
    /// Appends a sealed entry if the head is still the one it was sealed against and its source
    /// (event or request) is not recorded yet; moves the head and the checkpoint, indexes the
    /// entry, saves the dispute's state, remembers the source (in the dispute's sources hash, which
    /// then expires the retention after this append), removes what it replaces (a held event, a
    /// draft) and queues the event it publishes in the outbox.
    /// Every entry also queues its head (RecordHeadAdvanced) for the witness, so a head is never
    /// appended without its event. Every key is the dispute's (one hash slot).
    /// KEYS: head, entries, sources, state, index, checkpoint, remove-from hash, outbox, report index.
    /// ARGV: expected head, entry bytes, new head, source field ('' for none), source value, checkpoint, envelope,
    /// field to remove, entry id, report score (the raise time, when the entry opens the record), challenge id,
    /// head envelope, source retention (ms), state field/value pairs...
    /// </summary>
    public static readonly RecordScript Append = new("""
        local head = redis.call('GET', KEYS[1]) or ''
        if ARGV[4] ~= '' then
          local existing = redis.call('HGET', KEYS[3], ARGV[4])
          if existing then return {'DUPLICATE', existing} end
        end
        if head ~= ARGV[1] then return {'CONFLICT', head} end
        local length = redis.call('RPUSH', KEYS[2], ARGV[2])
        redis.call('SET', KEYS[1], ARGV[3])
        if ARGV[4] ~= '' then
          redis.call('HSET', KEYS[3], ARGV[4], ARGV[5])
          redis.call('PEXPIRE', KEYS[3], ARGV[13])
        end
        redis.call('HSET', KEYS[5], ARGV[9], length)
        if ARGV[6] ~= '' then redis.call('SET', KEYS[6], ARGV[6]) end
        if ARGV[7] ~= '' then redis.call('XADD', KEYS[8], '*', 'envelope', ARGV[7]) end
        if ARGV[8] ~= '' then redis.call('HDEL', KEYS[7], ARGV[8]) end
        if ARGV[12] ~= '' then redis.call('XADD', KEYS[8], '*', 'envelope', ARGV[12]) end
        if ARGV[10] ~= '' then redis.call('ZADD', KEYS[9], ARGV[10], ARGV[11]) end
        for i = 14, #ARGV, 2 do redis.call('HSET', KEYS[4], ARGV[i], ARGV[i + 1]) end
        return {'APPENDED', tostring(length)}
        """);

    /// <summary>
    /// Holds an event back until its predecessor is recorded, if the head is still the one the
    /// decision to hold was made against (else the predecessor may just have landed: decide again).
    /// KEYS: head, sources, held. ARGV: expected head, event id, held event.
    /// </summary>
    public static readonly RecordScript Hold = new("""
        if redis.call('HEXISTS', KEYS[2], ARGV[2]) == 1 then return {'DUPLICATE', ''} end
        local head = redis.call('GET', KEYS[1]) or ''
        if head ~= ARGV[1] then return {'CONFLICT', head} end
        redis.call('HSET', KEYS[3], ARGV[2], ARGV[3])
        return {'HELD', ''}
        """);

    /// <summary>
    /// Saves a draft once per request and queues its event.
    /// KEYS: sources, drafts, outbox. ARGV: request key, request value, draft id, draft bytes, envelope, source retention (ms).
    /// </summary>
    public static readonly RecordScript SaveDraft = new("""
        local existing = redis.call('HGET', KEYS[1], ARGV[1])
        if existing then return {'DUPLICATE', existing} end
        redis.call('HSET', KEYS[2], ARGV[3], ARGV[4])
        redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
        redis.call('PEXPIRE', KEYS[1], ARGV[6])
        if ARGV[5] ~= '' then redis.call('XADD', KEYS[3], '*', 'envelope', ARGV[5]) end
        return {'APPENDED', ''}
        """);
}
