using Disputes.Escalation.Domain;
using Disputes.EventBus;
using Disputes.Outbox.Redis;
using Disputes.Redis;
using Disputes.V1.Events;
using Google.Protobuf;
using StackExchange.Redis;

namespace Disputes.Escalation.Storage;

/// <summary>An escalation as stored, with the bytes read (the condition of the next write).</summary>
public sealed record StoredEscalation(V1.Escalation Escalation, ChallengeRaised Facts, byte[] Stored);

/// <summary>The list indexes of open escalations, one sorted set per partition each.</summary>
public enum EscalationIndex
{
    /// <summary>Open escalations by stage due time, for "due soon".</summary>
    Due,

    /// <summary>Overdue escalations by stage due time.</summary>
    Overdue,
}

/// <summary>
/// Escalations under the <c>escalation:</c> prefix, and the durable timers: a sorted set per
/// partition scored by fire time, so a timer survives restarts and any replica can fire it. Every
/// key of a challenge carries its partition's hash tag (<c>escalation:{p07}:escalations:{id}</c>),
/// and so do the timer set and list indexes it is written with, so every change is one
/// single-slot transaction with its timers, its list indexes and its events (the outbox), written
/// only if the escalation is still as read. Reads across disputes merge the partitions.
/// </summary>
public sealed class EscalationStore(IConnectionMultiplexer redis, RedisOutbox outbox)
{
    private const string Prefix = "escalation:";

    /// <summary>The timers of one partition, scored by fire time (Unix milliseconds).</summary>
    public static RedisKey TimersIn(int partition) => RedisPartitions.KeyIn(Prefix, partition, "timers");

    /// <summary>The timers of the partition <paramref name="challengeId"/> belongs to.</summary>
    public static RedisKey TimersOfPartition(string challengeId) => TimersIn(RedisPartitions.Of(challengeId));

    /// <summary>A list index of one partition.</summary>
    public static RedisKey IndexIn(EscalationIndex index, int partition) =>
        RedisPartitions.KeyIn(Prefix, partition, index == EscalationIndex.Due ? "index:due" : "index:overdue");

    private static RedisKey IndexOf(EscalationIndex index, string challengeId) => IndexIn(index, RedisPartitions.Of(challengeId));

    private static RedisKey EscalationKey(string challengeId) => RedisPartitions.KeyOf(Prefix, challengeId, "escalations:" + challengeId);

    private static RedisKey FactsKey(string challengeId) => RedisPartitions.KeyOf(Prefix, challengeId, "facts:" + challengeId);

    /// <summary>The ids of a challenge's timers now set.</summary>
    public static RedisKey TimersOf(string challengeId) => RedisPartitions.KeyOf(Prefix, challengeId, "timers:of:" + challengeId);

    /// <summary>The events of a challenge held back until their turn.</summary>
    public static RedisKey EarlyEvents(string challengeId) => RedisPartitions.KeyOf(Prefix, challengeId, "early:" + challengeId);

    /// <summary>How long an event that overtook its challenge's raise waits for it.</summary>
    private static readonly TimeSpan EarlyEventRetention = TimeSpan.FromDays(30);

    /// <summary>
    /// Keeps an event that arrived before the challenge's raise, only while the escalation is still
    /// not open (so the raise, opening it, cannot miss it); false when it opened meanwhile.
    /// </summary>
    public async Task<bool> ParkAsync(string challengeId, string topic, long version, string eventId, string? traceParent, IMessage @event)
    {
        var transaction = redis.GetDatabase().CreateTransaction();
        transaction.AddCondition(Condition.KeyNotExists(EscalationKey(challengeId)));
        _ = transaction.HashSetAsync(EarlyEvents(challengeId), $"{version:D19}|{topic}|{eventId}",
            $"{traceParent}|{Convert.ToBase64String(@event.ToByteArray())}");
        _ = transaction.KeyExpireAsync(EarlyEvents(challengeId), EarlyEventRetention);
        return await transaction.ExecuteAsync();
    }

    /// <summary>
    /// Keeps an event that overtook an earlier version of its challenge, only while the escalation
    /// is still as read (so the predecessor, applied meanwhile, cannot miss it); false otherwise.
    /// </summary>
    public async Task<bool> HoldAsync(string challengeId, StoredEscalation current, string topic, long version, string eventId, string? traceParent, IMessage @event)
    {
        var transaction = redis.GetDatabase().CreateTransaction();
        transaction.AddCondition(Condition.StringEqual(EscalationKey(challengeId), current.Stored));
        _ = transaction.HashSetAsync(EarlyEvents(challengeId), $"{version:D19}|{topic}|{eventId}",
            $"{traceParent}|{Convert.ToBase64String(@event.ToByteArray())}");
        // Once the escalation is open, a held event waits for its predecessor however long that takes
        // (a dead-lettered one may be replayed later): the retention of events awaiting the raise no longer applies.
        _ = transaction.KeyPersistAsync(EarlyEvents(challengeId));
        return await transaction.ExecuteAsync();
    }

    /// <summary>The events held back (before the raise, or ahead of an earlier version), oldest version first: (field, version, topic, event id, traceparent, payload).</summary>
    public async Task<IReadOnlyList<(string Field, long Version, string Topic, string EventId, string? TraceParent, byte[] Payload)>> ParkedAsync(string challengeId)
    {
        var entries = await redis.GetDatabase().HashGetAllAsync(EarlyEvents(challengeId));
        return entries.OrderBy(e => e.Name.ToString(), StringComparer.Ordinal).Select(e =>
        {
            var field = e.Name.ToString().Split('|');
            var value = e.Value.ToString();
            var bar = value.IndexOf('|');
            return (e.Name.ToString(), long.Parse(field[0], System.Globalization.CultureInfo.InvariantCulture), field[1], field[2],
                bar > 0 ? value[..bar] : null, Convert.FromBase64String(value[(bar + 1)..]));
        }).ToArray();
    }

    public Task UnparkAsync(string challengeId, string field) => redis.GetDatabase().HashDeleteAsync(EarlyEvents(challengeId), field);

    /// <summary>Stores a new escalation unless one is already stored for the challenge.</summary>
    public async Task<bool> OpenAsync(string challengeId, ChallengeRaised facts, V1.Escalation escalation,
        IReadOnlyList<EscalationTimer> timers, IEnumerable<EventEnvelope> events)
    {
        var transaction = redis.GetDatabase().CreateTransaction();
        transaction.AddCondition(Condition.KeyNotExists(EscalationKey(challengeId)));
        _ = transaction.StringSetAsync(FactsKey(challengeId), facts.ToByteArray());
        Write(transaction, challengeId, null, escalation, timers, events);
        return await transaction.ExecuteAsync();
    }

    public async Task<StoredEscalation?> GetAsync(string challengeId)
    {
        var values = await redis.GetDatabase().StringGetAsync([EscalationKey(challengeId), FactsKey(challengeId)]);
        return values[0].IsNull || values[1].IsNull
            ? null
            : new StoredEscalation(V1.Escalation.Parser.ParseFrom((byte[])values[0]!), ChallengeRaised.Parser.ParseFrom((byte[])values[1]!), (byte[])values[0]!);
    }

    public async Task<IReadOnlyList<StoredEscalation?>> GetManyAsync(IReadOnlyList<string> challengeIds)
    {
        if (challengeIds.Count == 0)
            return [];
        // One MGET per challenge (its two keys share a slot; those of different challenges may not), pipelined.
        var batch = redis.GetDatabase().CreateBatch();
        var reads = challengeIds.Select(id => batch.StringGetAsync([EscalationKey(id), FactsKey(id)])).ToArray();
        batch.Execute();
        var found = new StoredEscalation?[reads.Length];
        for (var i = 0; i < reads.Length; i++)
        {
            var values = await reads[i];
            found[i] = values[0].IsNull || values[1].IsNull
                ? null
                : new StoredEscalation(V1.Escalation.Parser.ParseFrom((byte[])values[0]!), ChallengeRaised.Parser.ParseFrom((byte[])values[1]!), (byte[])values[0]!);
        }
        return found;
    }

    /// <summary>
    /// Replaces the escalation and its timers if it is still <paramref name="previous"/> (and, for a
    /// firing, if the fired timer is still set: the claim that makes a timer fire once across replicas).
    /// </summary>
    public async Task<bool> SaveAsync(string challengeId, StoredEscalation previous, V1.Escalation escalation,
        IReadOnlyList<EscalationTimer> timers, IEnumerable<EventEnvelope> events, (string TimerId, double Score)? claim = null)
    {
        var transaction = redis.GetDatabase().CreateTransaction();
        transaction.AddCondition(Condition.StringEqual(EscalationKey(challengeId), previous.Stored));
        if (claim is { } fired)
        {
            transaction.AddCondition(Condition.SortedSetEqual(TimersOfPartition(challengeId), fired.TimerId, fired.Score));
            _ = transaction.SortedSetRemoveAsync(TimersOfPartition(challengeId), fired.TimerId);
        }
        Write(transaction, challengeId, previous.Escalation, escalation, timers, events);
        return await transaction.ExecuteAsync();
    }

    /// <summary>The ids of the challenge's timers now set.</summary>
    public async Task<IReadOnlyList<string>> TimerIdsAsync(string challengeId) =>
        (await redis.GetDatabase().SetMembersAsync(TimersOf(challengeId))).Select(v => v.ToString()).ToArray();

    public async Task<double?> TimerScoreAsync(string timerId) =>
        await redis.GetDatabase().SortedSetScoreAsync(TimersOfPartition(EscalationTimers.ChallengeIdOfTimer(timerId)), timerId);

    /// <summary>
    /// Timers due by <paramref name="now"/>, soonest first, across every partition: the first
    /// <paramref name="take"/> of each partition read in one round trip, then merged.
    /// </summary>
    public async Task<IReadOnlyList<(string TimerId, double Score)>> DueTimersAsync(DateTimeOffset now, int take)
    {
        var batch = redis.GetDatabase().CreateBatch();
        var reads = RedisPartitions.All.Select(p => batch.SortedSetRangeByScoreWithScoresAsync(TimersIn(p), double.NegativeInfinity,
            now.ToUnixTimeMilliseconds(), take: take)).ToArray();
        batch.Execute();
        var due = new List<(string TimerId, double Score)>();
        foreach (var read in reads)
            due.AddRange((await read).Select(e => (e.Element.ToString(), e.Score)));
        return due.OrderBy(t => t.Score).ThenBy(t => t.TimerId, StringComparer.Ordinal).Take(take).ToArray();
    }

    /// <summary>How many timers are set, due or not, in every partition.</summary>
    public async Task<long> TimerCountAsync()
    {
        var batch = redis.GetDatabase().CreateBatch();
        var counts = RedisPartitions.All.Select(p => batch.SortedSetLengthAsync(TimersIn(p))).ToArray();
        batch.Execute();
        return (await Task.WhenAll(counts)).Sum();
    }

    /// <summary>When the soonest timer of any partition fires, if any is set.</summary>
    public async Task<DateTimeOffset?> NextFireTimeAsync()
    {
        var batch = redis.GetDatabase().CreateBatch();
        var firsts = RedisPartitions.All.Select(p => batch.SortedSetRangeByRankWithScoresAsync(TimersIn(p), 0, 0)).ToArray();
        batch.Execute();
        var soonest = (await Task.WhenAll(firsts)).SelectMany(e => e).Select(e => (double?)e.Score).Min();
        return soonest is { } score ? DateTimeOffset.FromUnixTimeMilliseconds((long)score) : null;
    }

    /// <summary>Removes a timer that no longer applies (its escalation moved or closed), if still set as read.</summary>
    public async Task<bool> DiscardTimerAsync(string timerId, double score)
    {
        var challengeId = EscalationTimers.ChallengeIdOfTimer(timerId);
        var transaction = redis.GetDatabase().CreateTransaction();
        transaction.AddCondition(Condition.SortedSetEqual(TimersOfPartition(challengeId), timerId, score));
        _ = transaction.SortedSetRemoveAsync(TimersOfPartition(challengeId), timerId);
        _ = transaction.SetRemoveAsync(TimersOf(challengeId), timerId);
        return await transaction.ExecuteAsync();
    }

    /// <summary>
    /// Members of a list index, in due-time order, after <paramref name="after"/>, up to
    /// <paramref name="before"/>: the first <paramref name="take"/> of each partition's index, read in
    /// one round trip and merged, which is the page one index of every escalation would give.
    /// </summary>
    public async Task<IReadOnlyList<string>> PageIndexAsync(EscalationIndex index, string? after, string? before, int take, bool inclusiveStart = false)
    {
        var batch = redis.GetDatabase().CreateBatch();
        var reads = RedisPartitions.All.Select(p => LexPages.RangeAsync(batch, IndexIn(index, p), after, before, take, inclusiveStart)).ToArray();
        batch.Execute();
        return (await Task.WhenAll(reads)).SelectMany(members => members).Order(StringComparer.Ordinal).Take(take).ToArray();
    }

    /// <summary>An index member: the stage due time (sortable) and the challenge id.</summary>
    public static string IndexMember(V1.Escalation escalation) =>
        $"{IndexPosition(escalation.StageDueTime?.ToDateTimeOffset() ?? DateTimeOffset.UnixEpoch)}|{EscalationTimers.ChallengeIdOf(escalation)}";

    public static string IndexPosition(DateTimeOffset time) => time.ToUnixTimeMilliseconds().ToString("D15");

    public static string ChallengeIdOfMember(string member) => member[(member.IndexOf('|') + 1)..];

    private void Write(ITransaction transaction, string challengeId, V1.Escalation? previous, V1.Escalation escalation,
        IReadOnlyList<EscalationTimer> timers, IEnumerable<EventEnvelope> events)
    {
        _ = transaction.StringSetAsync(EscalationKey(challengeId), escalation.ToByteArray());

        // The challenge's timers are replaced as a whole: cancelled, moved or kept.
        var timerSet = TimersOf(challengeId);
        var partitionTimers = TimersOfPartition(challengeId);
        _ = transaction.ScriptEvaluateAsync(
            "for _, id in ipairs(redis.call('SMEMBERS', KEYS[2])) do redis.call('ZREM', KEYS[1], id) end redis.call('DEL', KEYS[2]) return 0",
            [partitionTimers, timerSet]);
        foreach (var timer in timers)
        {
            _ = transaction.SortedSetAddAsync(partitionTimers, timer.Id, timer.FireTime.ToUnixTimeMilliseconds());
            _ = transaction.SetAddAsync(timerSet, timer.Id);
        }

        if (previous is not null)
        {
            var old = IndexMember(previous);
            _ = transaction.SortedSetRemoveAsync(IndexOf(EscalationIndex.Due, challengeId), old);
            _ = transaction.SortedSetRemoveAsync(IndexOf(EscalationIndex.Overdue, challengeId), old);
        }
        if (escalation.CloseTime is null)
        {
            var member = IndexMember(escalation);
            _ = transaction.SortedSetAddAsync(IndexOf(EscalationIndex.Due, challengeId), member, 0);
            if (escalation.Overdue)
                _ = transaction.SortedSetAddAsync(IndexOf(EscalationIndex.Overdue, challengeId), member, 0);
        }

        foreach (var envelope in events)
            outbox.Add(transaction, envelope);
    }
}
