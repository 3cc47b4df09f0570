using System.CommandLine;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Disputes.Escalation.Application;
using Disputes.Escalation.Domain;
using Disputes.Escalation.Storage;
using Disputes.Escalation.Timers;
using Disputes.EventBus;
using Disputes.Outbox.Redis;
using Disputes.Procedure;
using Disputes.Redis;
using Disputes.V1;
using Disputes.V1.Events;
using Disputes.WorkingDays;
using Google.Protobuf.WellKnownTypes;
using HdrHistogram;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Disputes.Tools;

/// <summary>
/// <c>timers</c>: loads pending escalation timers into a redis-server it starts on loopback, opens a
/// slice of real escalations whose acknowledgement falls due during the run, runs the escalation's
/// own <see cref="TimerPoller"/> in-process and reports how late each fired (breach missed time
/// minus due time) and what the pending timers cost in Redis memory.
/// </summary>
public static class TimersCommand
{
    public static Command Create()
    {
        var pending = new Option<int>("--pending") { Description = "Pending timers loaded (due in a year).", DefaultValueFactory = _ => 1_000_000 };
        var fired = new Option<int>("--fired") { Description = "Escalations whose acknowledgement falls due during the run.", DefaultValueFactory = _ => 2_000 };
        var spread = new Option<int>("--spread-seconds") { Description = "The fired slice falls due evenly over this many seconds.", DefaultValueFactory = _ => 10 };
        var port = new Option<int>("--port") { Description = "Loopback port for redis-server; 0 picks a free one.", DefaultValueFactory = _ => 0 };
        var command = new Command("timers", "Benchmark the escalation timers: fire lateness and Redis memory with many pending timers.") { pending, fired, spread, port };
        Range(pending, 0, 5_000_000);
        Range(fired, 1, 100_000);
        Range(spread, 1, 120);
        Range(port, 0, 65_535);
        command.SetAction((parse, cancellationToken) =>
            RunAsync(parse.GetValue(pending), parse.GetValue(fired), parse.GetValue(spread), parse.GetValue(port), cancellationToken));
        return command;
    }

    private static void Range(Option<int> option, int min, int max) => option.Validators.Add(r =>
    {
        if (r.GetValueOrDefault<int>() is var value && (value < min || value > max))
            r.AddError($"{option.Name} must be between {min} and {max}.");
    });

    private static async Task<int> RunAsync(int pending, int fired, int spreadSeconds, int port, CancellationToken cancellationToken)
    {
        port = port == 0 ? FreePort() : port;
        var directory = Directory.CreateTempSubdirectory("disputes-timers-");
        using var server = Process.Start(new ProcessStartInfo("redis-server")
        {
            ArgumentList = { "--port", port.ToString(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", directory.FullName },
            RedirectStandardOutput = true,
            UseShellExecute = false,
        }) ?? throw new InvalidOperationException("redis-server did not start");
        try
        {
            using var redis = await ConnectAsync(port);
            var database = redis.GetDatabase();
            var before = await UsedMemoryAsync(redis, port);

            // Pending timers as the store writes them: the fire-time sorted set and each challenge's timer set.
            var far = DateTimeOffset.UtcNow.AddYears(1).ToUnixTimeMilliseconds();
            var load = Stopwatch.StartNew();
            for (var start = 0; start < pending; start += 10_000)
            {
                var batch = database.CreateBatch();
                var writes = new List<Task>();
                for (var i = start; i < Math.Min(pending, start + 10_000); i++)
                {
                    var challengeId = $"01PENDING{i:D17}";
                    var timerId = EscalationTimers.IdOf(challengeId, Timescales.Stage, Stage.ProfessionalDiscussion, 0, 1);
                    writes.Add(batch.SortedSetAddAsync(EscalationStore.TimersOfPartition(challengeId), timerId, far + i));
                    writes.Add(batch.SetAddAsync(EscalationStore.TimersOf(challengeId), timerId));
                }
                batch.Execute();
                await Task.WhenAll(writes);
            }
            load.Stop();
            var after = await UsedMemoryAsync(redis, port);

            var options = Options.Create(new EscalationOptions());
            var busOptions = Options.Create(new EventBusOptions());
            var time = TimeProvider.System;
            var store = new EscalationStore(redis, new RedisOutbox(busOptions));
            var policyStore = new PolicyStore(redis);
            // A policy version whose acknowledgement is due at the raise: raised "in the future", it falls due then.
            var policy = TimescalePolicies.NewVersion(TimescalePolicies.Default, 1, time.GetUtcNow());
            policy.Name = "timescalePolicies/benchmark";
            policy.AcknowledgementWorkingDays = 0;
            policy.ReminderWorkingDays = 0;
            await policyStore.AppendAsync("benchmark", policy);
            options.Value.Policy = "benchmark";
            var catalog = new PolicyCatalog(policyStore, options);
            var signal = new TimerSignal();
            var timers = new EscalationTimers(WorkingDayCalendar.EnglandAndWales);
            var lifecycle = new EscalationLifecycle(WorkingDayCalendar.EnglandAndWales);
            var writer = new EscalationWriter(store, new DirectoryStore(redis), catalog, timers, new IntegrationEventFactory(busOptions, time, IntegrationEvents.Catalog), signal);

            var firstDue = time.GetUtcNow().AddSeconds(3);
            var ids = new List<string>(fired);
            for (var i = 0; i < fired; i++)
            {
                var challengeId = $"01FIRED{i:D19}";
                ids.Add(challengeId);
                // Whole milliseconds, as timers are scored: lateness is then measured against the time the timer is set for.
                var due = DateTimeOffset.FromUnixTimeMilliseconds(firstDue.ToUnixTimeMilliseconds() + spreadSeconds * 1000L * i / fired);
                await writer.OpenAsync(Raised(challengeId, due), lifecycle, time.GetUtcNow());
            }
            if (time.GetUtcNow() > firstDue)
                Console.WriteLine("warning: opening the slice took longer than the 3 s lead; the first timers start late");

            var poller = new TimerPoller(store, writer, lifecycle, timers, signal, options, time, NullLogger<TimerPoller>.Instance);
            await poller.StartAsync(cancellationToken);
            var deadline = firstDue.AddSeconds(spreadSeconds + 60);
            var histogram = new LongHistogram(TimeSpan.FromMinutes(5).Ticks / TimeSpan.TicksPerMillisecond * 1000, 3);
            var done = 0;
            while (time.GetUtcNow() < deadline && !cancellationToken.IsCancellationRequested)
            {
                await Task.Delay(500, cancellationToken);
                long dueLeft = 0;
                foreach (var partition in RedisPartitions.All)
                    dueLeft += await database.SortedSetLengthAsync(EscalationStore.TimersIn(partition), double.NegativeInfinity, firstDue.AddSeconds(spreadSeconds).ToUnixTimeMilliseconds());
                if (dueLeft == 0)
                    break;
            }
            await poller.StopAsync(CancellationToken.None);

            for (var i = 0; i < ids.Count; i += 500)
            {
                foreach (var stored in await store.GetManyAsync(ids.Skip(i).Take(500).ToArray()))
                {
                    var breach = stored?.Escalation.Breaches.FirstOrDefault(b => b.Timescale == Timescales.Acknowledgement);
                    if (breach is null)
                        continue;
                    var late = breach.MissedTime.ToDateTimeOffset() - breach.DueTime.ToDateTimeOffset();
                    histogram.RecordValue(Math.Max(0, (long)(late.TotalMilliseconds * 1000)));
                    done++;
                }
            }

            Console.WriteLine($"pending timers loaded: {pending:N0} in {load.Elapsed.TotalSeconds:F1} s");
            Console.WriteLine($"redis used_memory: before {before:N0} B, after {after:N0} B, {(pending == 0 ? 0 : (after - before) / (double)pending):F1} B per pending timer");
            Console.WriteLine($"fired: {done:N0} of {fired:N0} due over {spreadSeconds} s");
            if (done > 0)
                Console.WriteLine($"fire lateness (ms): p50 {histogram.GetValueAtPercentile(50) / 1000.0:F1}, p99 {histogram.GetValueAtPercentile(99) / 1000.0:F1}, max {histogram.GetMaxValue() / 1000.0:F1}");
            return done == fired ? 0 : 1;
        }
        finally
        {
            server.Kill();
            await server.WaitForExitAsync(CancellationToken.None);
            directory.Delete(recursive: true);
        }
    }

    private static ChallengeRaised Raised(string challengeId, DateTimeOffset at) => new()
    {
        Challenge = $"challenges/{challengeId}",
        Version = 1,
        OccurTime = Timestamp.FromDateTimeOffset(at),
        RaisingParty = new Party { AgencyId = "police", ProfessionalId = "pc-1", Role = "police officer" },
        ReceivingParty = new Party { AgencyId = "childrens-social-care", ProfessionalId = "sw-1", Role = "social worker" },
        Child = new ChildReference { Reference = "bench-child" },
        Category = Category.CaseClosure,
        Subject = "Benchmark",
        UnsafePracticeReason = "Benchmark",
        DesiredChange = "Benchmark",
        ImpactOnChild = "Benchmark",
    };

    private static async Task<ConnectionMultiplexer> ConnectAsync(int port)
    {
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                return await ConnectionMultiplexer.ConnectAsync($"127.0.0.1:{port},allowAdmin=true,abortConnect=true");
            }
            catch (RedisConnectionException) when (attempt < 50)
            {
                await Task.Delay(100);
            }
        }
    }

    private static async Task<long> UsedMemoryAsync(ConnectionMultiplexer redis, int port)
    {
        var info = await redis.GetServer("127.0.0.1", port).InfoAsync("memory");
        return long.Parse(info.SelectMany(g => g).First(p => p.Key == "used_memory").Value, System.Globalization.CultureInfo.InvariantCulture);
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
