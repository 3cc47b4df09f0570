using Disputes.EventBus;
using Disputes.EventBus.Redis;
using Disputes.Notification.Channels;
using Disputes.Notification.Domain;
using Disputes.Notification.Storage;
using Disputes.Redis;
using Disputes.V1;
using Google.Protobuf.WellKnownTypes;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Disputes.Notification.Sending;

/// <summary>
/// Sends webhook and email deliveries from the send queue (a Redis stream per partition, each with
/// one consumer group shared by replicas; a job is queued in its dispute's partition, in the
/// delivery's own transaction). Each job is acknowledged only with the delivery's outcome and
/// its NotificationDelivered event, in one transaction; a job left by a sender that died is
/// taken over after <see cref="SendingOptions.ReclaimAfter"/> and sent again under the same id.
/// It does not poll: queuing a job in this process wakes it (<see cref="DeliveryStore.Queued"/>),
/// and a slow sweep (<see cref="SendingOptions.SweepInterval"/>) finds jobs other replicas queued.
/// Nothing one job does can stop the loop.
/// </summary>
public sealed partial class DeliverySender(
    IConnectionMultiplexer redis,
    DeliveryStore store,
    IEnumerable<IDeliveryChannel> channels,
    SendPipelines pipelines,
    IntegrationEventFactory events,
    IOptions<NotificationOptions> options,
    TimeProvider timeProvider,
    ILogger<DeliverySender> logger) : BackgroundService
{
    public const string Group = "senders";

    /// <summary>Times a job may be taken before it is dead-lettered as poison.</summary>
    public const int MaxJobTries = 5;

    /// <summary>How many times each job of a partition's queue was taken (job id to count), in that queue's slot.</summary>
    public static RedisKey JobTries(int partition) => RedisPartitions.KeyIn(DeliveryStore.Prefix, partition, "send-tries");
    private readonly Dictionary<Channel, IDeliveryChannel> _channels = channels.ToDictionary(c => c.Channel);

    public string ConsumerName { get; } = $"sender-{Environment.MachineName}-{Environment.ProcessId}-{Guid.NewGuid():N}";

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var sending = options.Value.Sending;
        var slots = Math.Max(1, sending.Concurrency);
        // Jobs in flight: a slow or failing endpoint holds its own slots while the rest keep flowing.
        var inFlight = new HashSet<Task>();
        // Jobs taken from the partitions' queues (one read each, in one round trip) beyond the free slots: started as slots free.
        var taken = new Queue<(int Partition, StreamEntry Job)>();
        var groupReady = false;
        var failures = 0;
        var nextReclaim = DateTimeOffset.MinValue;
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                try
                {
                    inFlight.RemoveWhere(t => t.IsCompleted);
                    if (inFlight.Count >= slots)
                    {
                        await Task.WhenAny(inFlight);
                        continue;
                    }
                    var db = redis.GetDatabase();
                    if (!groupReady)
                    {
                        await Task.WhenAll(RedisPartitions.All.Select(p => db.CreateIfMissingAsync(DeliveryStore.SendQueue(p), Group)));
                        groupReady = true;
                    }
                    var free = slots - inFlight.Count;
                    if (taken.Count == 0 && timeProvider.GetUtcNow() >= nextReclaim)
                    {
                        var reclaims = RedisPartitions.All.Select(p => db.StreamAutoClaimAsync(DeliveryStore.SendQueue(p), Group, ConsumerName,
                            (long)sending.ReclaimAfter.TotalMilliseconds, "0-0", free)).ToArray();
                        for (var p = 0; p < reclaims.Length; p++)
                        {
                            foreach (var job in (await reclaims[p]).ClaimedEntries.Where(e => !e.IsNull))
                                taken.Enqueue((p, job));
                        }
                        nextReclaim = timeProvider.GetUtcNow() + sending.ReclaimAfter / 4;
                    }
                    if (taken.Count == 0)
                    {
                        var reads = RedisPartitions.All.Select(p => db.StreamReadGroupAsync(DeliveryStore.SendQueue(p), Group, ConsumerName, ">", free)).ToArray();
                        for (var p = 0; p < reads.Length; p++)
                        {
                            foreach (var job in (await reads[p]).Where(e => !e.IsNull))
                                taken.Enqueue((p, job));
                        }
                    }
                    var started = 0;
                    while (inFlight.Count < slots && taken.TryDequeue(out var next))
                    {
                        inFlight.Add(SendAsync(next.Partition, next.Job, stoppingToken));
                        started++;
                    }
                    failures = 0;
                    if (started == 0)
                    {
                        // Woken when this process queues a job; the sweep finds jobs another replica
                        // queued, and the wait never runs past the next reclaim.
                        var untilReclaim = nextReclaim - timeProvider.GetUtcNow();
                        await store.Queued.WaitAsync(untilReclaim < sending.SweepInterval ? untilReclaim : sending.SweepInterval,
                            timeProvider, stoppingToken);
                    }
                }
                catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
                {
                    return;
                }
                catch (Exception ex)
                {
                    // Redis down, a group lost with its stream: log, back off, go on.
                    failures++;
                    groupReady = false;
                    LogLoopFailed(ex);
                    try
                    {
                        await Task.Delay(TimeSpan.FromMilliseconds(Math.Min(5_000, 100 * (1 << Math.Min(failures, 6)))), timeProvider, stoppingToken);
                    }
                    catch (OperationCanceledException)
                    {
                        return;
                    }
                }
            }
        }
        finally
        {
            // Jobs cut short, and jobs taken but not started, stay pending and are taken over; wait only for those in flight to notice the stop.
            await Task.WhenAll(inFlight);
        }
    }

    /// <summary>One job: send with retries, then record the outcome. Any failure leaves the job pending, to be taken over.</summary>
    public async Task SendAsync(int partition, StreamEntry job, CancellationToken cancellationToken)
    {
        try
        {
            var challengeId = job[DeliveryStore.ChallengeField];
            var deliveryId = job[DeliveryStore.DeliveryIdField];
            var db = redis.GetDatabase();
            // A job that fails every time it is taken (not a failing endpoint: those are given up by
            // the pipeline) is dead-lettered after a bound rather than taken over forever.
            var queue = DeliveryStore.SendQueue(partition);
            var tries = await db.HashIncrementAsync(JobTries(partition), job.Id);
            // A job names a delivery of its own partition (it is queued with it); one that does not could never be acknowledged.
            if (challengeId.IsNullOrEmpty || deliveryId.IsNullOrEmpty || tries > MaxJobTries || RedisPartitions.Of(challengeId.ToString()) != partition)
            {
                LogUnreadableJob(job.Id.ToString(), tries);
                var transaction = db.CreateTransaction();
                _ = transaction.StreamAddAsync(DeliveryStore.DeadLetters(partition),
                [
                    new NameValueEntry("job", job.Id),
                    new NameValueEntry(DeliveryStore.ChallengeField, challengeId.IsNull ? "" : challengeId),
                    new NameValueEntry(DeliveryStore.DeliveryIdField, deliveryId.IsNull ? "" : deliveryId),
                ]);
                _ = transaction.StreamAcknowledgeAsync(queue, Group, job.Id);
                _ = transaction.StreamDeleteAsync(queue, [job.Id]);
                _ = transaction.HashDeleteAsync(JobTries(partition), job.Id);
                await transaction.ExecuteAsync();
                return;
            }
            var read = await store.GetAsync(challengeId.ToString(), deliveryId.ToString());
            if (read is null || read.Status != DeliveryStatus.Pending)
            {
                var done = db.CreateTransaction();
                _ = done.StreamAcknowledgeAsync(queue, Group, job.Id);
                _ = done.StreamDeleteAsync(queue, [job.Id]);
                _ = done.HashDeleteAsync(JobTries(partition), job.Id);
                await done.ExecuteAsync();
                return;
            }

            var completed = read.Clone();
            var log = new List<DeliveryAttempt>();
            var (delivered, attempts) = await AttemptAsync(read, log, cancellationToken);
            completed.Attempts = read.Attempts + attempts;
            completed.AttemptsLog.AddRange(log);
            while (completed.AttemptsLog.Count > MaxAttemptsLogged)
                completed.AttemptsLog.RemoveAt(0);
            completed.Status = delivered ? DeliveryStatus.Delivered : DeliveryStatus.Failed;
            completed.DeliverTime = Timestamp.FromDateTimeOffset(timeProvider.GetUtcNow());
            if (await store.CompleteAsync(read, completed, events.Create(DeliveryViews.DeliveredEvent(completed)), job.Id, Group))
            {
                LogCompleted(completed.Name, completed.Channel, completed.Status, completed.Attempts);
                NotificationMetrics.Delivery(completed.Channel, completed.Status);
            }
            await db.HashDeleteAsync(JobTries(partition), job.Id);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
        catch (Exception ex)
        {
            LogJobFailed(ex, job.Id.ToString());
        }
    }

    /// <summary>How many attempts a delivery's log keeps (the latest).</summary>
    public const int MaxAttemptsLogged = 20;

    private async Task<(bool Delivered, int Attempts)> AttemptAsync(Delivery delivery, List<DeliveryAttempt> log, CancellationToken cancellationToken)
    {
        if (!_channels.TryGetValue(delivery.Channel, out var channel))
            return (false, 0);
        var prepared = await channel.PrepareAsync(delivery, cancellationToken);
        if (prepared is null)
        {
            LogCannotSend(delivery.Name, delivery.Destination);
            return (false, 0);
        }
        var attempts = 0;
        try
        {
            await pipelines.For(prepared.Endpoint).ExecuteAsync(async ct =>
            {
                Interlocked.Increment(ref attempts);
                var started = timeProvider.GetUtcNow();
                var clock = System.Diagnostics.Stopwatch.StartNew();
                try
                {
                    await prepared.SendOnceAsync(ct);
                    lock (log)
                        log.Add(Attempt(started, clock.Elapsed, "delivered", 0, ""));
                }
                catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
                {
                    var code = ex is HttpRequestException { StatusCode: { } status } ? (int)status : 0;
                    lock (log)
                        log.Add(Attempt(started, clock.Elapsed, ex is PermanentDeliveryException ? "permanent" : "failed", code,
                            ex is OperationCanceledException ? "Timeout" : ex.GetType().Name));
                    throw;
                }
            }, cancellationToken);
            return (true, attempts);
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
        {
            LogGivenUp(ex, delivery.Name, prepared.Endpoint, attempts);
            return (false, attempts);
        }
    }

    private static DeliveryAttempt Attempt(DateTimeOffset started, TimeSpan took, string outcome, int statusCode, string errorKind) => new()
    {
        Time = Timestamp.FromDateTimeOffset(started),
        Outcome = outcome,
        StatusCode = statusCode,
        ErrorKind = errorKind,
        Duration = Duration.FromTimeSpan(took),
    };

    [LoggerMessage(LogLevel.Warning, "The send loop failed; backing off")]
    private partial void LogLoopFailed(Exception exception);

    [LoggerMessage(LogLevel.Warning, "Send job {Job} cannot be read or failed {Tries} times; dead-lettered")]
    private partial void LogUnreadableJob(string job, long tries);

    [LoggerMessage(LogLevel.Warning, "Send job {Job} failed; it stays pending and will be taken over")]
    private partial void LogJobFailed(Exception exception, string job);

    [LoggerMessage(LogLevel.Warning, "{Delivery} cannot be sent: {Destination} no longer exists")]
    private partial void LogCannotSend(string delivery, string destination);

    [LoggerMessage(LogLevel.Warning, "{Delivery} to {Endpoint} given up after {Attempts} attempts")]
    private partial void LogGivenUp(Exception exception, string delivery, string endpoint, int attempts);

    [LoggerMessage(LogLevel.Debug, "{Delivery} over {Channel}: {Status} after {Attempts} attempts")]
    private partial void LogCompleted(string delivery, Channel channel, DeliveryStatus status, int attempts);
}
