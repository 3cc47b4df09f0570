using Disputes.EventBus;
using Disputes.Outbox.Redis;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Disputes.IntegrationTests;

/// <summary>What an app's outbox holds over all its partition streams, for tests that look inside it.</summary>
public static class OutboxReads
{
    public static RedisOutbox Of(string appId) => new(Options.Create(new EventBusOptions { AppId = appId }));

    /// <summary>Every entry of every partition, oldest first (by entry time; one dispute's entries share a stream, so keep their order).</summary>
    public static async Task<IReadOnlyList<StreamEntry>> EntriesAsync(IDatabase db, string appId)
    {
        var reads = Of(appId).StreamKeys.Select(stream => db.StreamRangeAsync(stream, "-", "+")).ToArray();
        return (await Task.WhenAll(reads)).SelectMany(entries => entries).OrderBy(entry => Order(entry.Id)).ToArray();
    }

    /// <summary>The envelopes an app's outbox holds, oldest first.</summary>
    public static async Task<IReadOnlyList<EventEnvelope>> EnvelopesAsync(IDatabase db, string appId) =>
        (await EntriesAsync(db, appId)).Select(entry => EventEnvelope.TryParse(entry[RedisOutbox.EnvelopeField].ToString())!).ToArray();

    /// <summary>Adds each event in a transaction of its own (events of different disputes may live in different slots).</summary>
    public static async Task AddEachAsync(IDatabase db, RedisOutbox outbox, IEnumerable<EventEnvelope> envelopes)
    {
        foreach (var envelope in envelopes)
        {
            var transaction = db.CreateTransaction();
            outbox.Add(transaction, envelope);
            Assert.True(await transaction.ExecuteAsync());
        }
    }

    private static (long, long) Order(RedisValue id)
    {
        var parts = id.ToString().Split('-');
        return (long.Parse(parts[0]), long.Parse(parts[1]));
    }
}
