using System.Diagnostics.Metrics;
using System.Runtime.CompilerServices;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Disputes.EventBus.Redis;

/// <summary>
/// Every few seconds reads, for each topic this app consumes, its consumer group (XINFO GROUPS),
/// the oldest pending entry (XPENDING summary) and the dead-letter topic's length (XLEN), and hands
/// the sample to <see cref="EventBusMetrics"/>, whose gauges report the latest. A Redis error skips
/// one round; the loop goes on.
/// </summary>
public sealed partial class ConsumerLagSampler(
    IConnectionMultiplexer redis,
    EventSubscriptions subscriptions,
    IOptions<EventBusOptions> options,
    TimeProvider timeProvider,
    ILogger<ConsumerLagSampler> logger) : BackgroundService
{
    /// <summary>When Redis cannot say a group's lag (entries were deleted), at most this many entries are counted.</summary>
    public const int LagCountLimit = 10_000;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (subscriptions.All.Count == 0)
            return;
        using var gauges = new BusGaugeListeners();
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                if (gauges.Observed)
                    await SampleAsync();
            }
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
            {
                LogSampleFailed(ex);
            }
            try
            {
                await Task.Delay(options.Value.MetricsSampleInterval, timeProvider, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    /// <summary>One round over this app's topics; each topic is read on its own, so one failing topic does not hide the others.</summary>
    public async Task SampleAsync()
    {
        var db = redis.GetDatabase();
        var group = options.Value.AppId;
        Exception? failure = null;
        foreach (var subscription in subscriptions.All)
        {
            try
            {
                EventBusMetrics.ConsumerSampled(subscription.Topic, group, await SampleAsync(db, subscription, group));
            }
            catch (Exception ex) when (ex is RedisException or TimeoutException)
            {
                failure ??= ex;
            }
        }
        if (failure is not null)
            throw failure;
    }

    private async Task<ConsumerSample> SampleAsync(IDatabase db, EventSubscription subscription, string group)
    {
        var deadLetters = await DeadLettersAsync(db, subscription.DeadLetterTopic);
        if (await db.KeyTypeAsync(subscription.Topic) != RedisType.Stream)
            return new ConsumerSample(0, 0, TimeSpan.Zero, deadLetters);
        var info = (await db.StreamGroupInfoAsync(subscription.Topic)).FirstOrDefault(g => g.Name == group);
        if (info.Name is null)
            return new ConsumerSample(await db.StreamLengthAsync(subscription.Topic), 0, TimeSpan.Zero, deadLetters);

        var oldestAge = TimeSpan.Zero;
        if (info.PendingMessageCount > 0)
        {
            var pending = await db.StreamPendingAsync(subscription.Topic, group);
            if (!pending.LowestPendingMessageId.IsNull)
                oldestAge = AgeOf(pending.LowestPendingMessageId.ToString(), timeProvider.GetUtcNow());
        }
        var lag = info.Lag ?? await CountAfterAsync(db, subscription.Topic, info.LastDeliveredId);
        return new ConsumerSample(lag, info.PendingMessageCount, oldestAge, deadLetters);
    }

    /// <summary>
    /// The dead-letter topic's length; null when this app's Redis user may not read it (a consumer
    /// only adds to dead-letter topics): the other gauges are still reported.
    /// </summary>
    private static async Task<long?> DeadLettersAsync(IDatabase db, RedisKey stream)
    {
        try
        {
            return await db.KeyTypeAsync(stream) == RedisType.Stream ? await db.StreamLengthAsync(stream) : 0;
        }
        catch (RedisServerException ex) when (ex.Message.StartsWith("NOPERM", StringComparison.Ordinal))
        {
            return null;
        }
    }

    /// <summary>Entries after the group's last delivered one, counted up to <see cref="LagCountLimit"/>.</summary>
    private static async Task<long> CountAfterAsync(IDatabase db, RedisKey topic, string? lastDeliveredId) =>
        (await db.StreamRangeAsync(topic, string.IsNullOrEmpty(lastDeliveredId) ? "-" : "(" + lastDeliveredId, "+", LagCountLimit)).Length;

    /// <summary>A stream id starts with the milliseconds of its XADD: the entry's age.</summary>
    public static TimeSpan AgeOf(string streamId, DateTimeOffset now)
    {
        var dash = streamId.IndexOf('-');
        if (!long.TryParse(dash < 0 ? streamId : streamId[..dash], out var milliseconds))
            return TimeSpan.Zero;
        var age = now - DateTimeOffset.FromUnixTimeMilliseconds(milliseconds);
        return age > TimeSpan.Zero ? age : TimeSpan.Zero;
    }

    /// <summary>
    /// Whether anything listens to the bus's gauges: an OpenTelemetry metrics reader, or a tool such
    /// as dotnet-counters attached for a while. Watches the instruments without enabling them itself.
    /// </summary>
    public sealed class BusGaugeListeners : IDisposable
    {
        private readonly MeterListener _listener = new();
        private readonly List<Instrument> _gauges = [];

        public BusGaugeListeners()
        {
            _listener.InstrumentPublished = (instrument, _) =>
            {
                if (instrument.Meter.Name == EventBusMetrics.MeterName && instrument.IsObservable)
                {
                    lock (_gauges)
                        _gauges.Add(instrument);
                }
            };
            // The gauges are made when EventBusMetrics is first used; make them now, so they are watched from the start.
            RuntimeHelpers.RunClassConstructor(typeof(EventBusMetrics).TypeHandle);
            _listener.Start();
        }

        public bool Observed
        {
            get
            {
                lock (_gauges)
                    return _gauges.Any(gauge => gauge.Enabled);
            }
        }

        public void Dispose() => _listener.Dispose();
    }

    [LoggerMessage(LogLevel.Warning, "Sampling the consumer lag failed; trying again next round")]
    private partial void LogSampleFailed(Exception exception);
}
