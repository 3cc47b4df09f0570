using System.Globalization;
using System.Text;
using Disputes.Redis;
using Disputes.V1;
using Google.Protobuf;
using StackExchange.Redis;

namespace Disputes.Escalation.Storage;

/// <summary>
/// The latest head of each challenge's record, as the records service published it, kept under
/// escalation's own prefix in the challenge's slot (<c>escalation:{p07}:witness:{challenge}</c>) and
/// so under escalation's own Redis user: whoever rewrites the records service's keys cannot roll
/// this back with them.
/// </summary>
/// <remarks>
/// One string per challenge, <c>{sequence}|{witness}</c>, the witness without what its key already
/// says (its name, the challenge part of its entry's name): about a third of a hash holding it whole.
/// </remarks>
public sealed class RecordWitnessStore(IConnectionMultiplexer redis)
{
    // Keeps the witness only when its sequence is higher than the one held: redelivered and
    // overtaken heads change nothing, in one step on the server.
    private static readonly LuaScript Advance = LuaScript.Prepare(
        "local held = redis.call('GET', @key) " +
        "local current = held and tonumber(string.match(held, '^(%d+)|')) or 0 " +
        "if tonumber(@sequence) > current then redis.call('SET', @key, @value) return 1 end return 0");

    public static RedisKey KeyOf(string challengeId) => RedisPartitions.KeyOf("escalation:", challengeId, "witness:" + challengeId);

    /// <summary>Keeps <paramref name="witness"/> if it is later than the one held; true when it was kept.</summary>
    public async Task<bool> AdvanceAsync(string challengeId, RecordWitness witness)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(witness.Sequence);
        var compact = witness.Clone();
        compact.Name = "";
        var entries = EntriesOf(challengeId);
        if (compact.Entry.StartsWith(entries, StringComparison.Ordinal))
            compact.Entry = compact.Entry[entries.Length..];
        var prefix = Encoding.ASCII.GetBytes(witness.Sequence.ToString(CultureInfo.InvariantCulture) + "|");
        var result = await redis.GetDatabase().ScriptEvaluateAsync(Advance,
            new { key = KeyOf(challengeId), sequence = witness.Sequence, value = (RedisValue)prefix.Concat(compact.ToByteArray()).ToArray() });
        return (long)result == 1;
    }

    public async Task<RecordWitness?> GetAsync(string challengeId)
    {
        var value = await redis.GetDatabase().StringGetAsync(KeyOf(challengeId));
        if (value.IsNull)
            return null;
        var bytes = (byte[])value!;
        var bar = Array.IndexOf(bytes, (byte)'|');
        var witness = RecordWitness.Parser.ParseFrom(bytes.AsSpan(bar + 1));
        witness.Name = $"challenges/{challengeId}" + Witness.RecordWitnesses.Suffix;
        if (witness.Entry.Length > 0 && !witness.Entry.Contains('/', StringComparison.Ordinal))
            witness.Entry = EntriesOf(challengeId) + witness.Entry;
        return witness;
    }

    private static string EntriesOf(string challengeId) => $"challenges/{challengeId}/entries/";
}
