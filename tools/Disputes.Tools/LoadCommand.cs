using System.CommandLine;
using Disputes.ServiceDefaults.Identity;
using Disputes.V1;
using Grpc.Net.Client;

namespace Disputes.Tools;

/// <summary>
/// <c>load</c>: drives RaiseChallenge at a fixed concurrency (closed loop) or a fixed arrival rate
/// (open loop, <c>--rate</c>) for a fixed time, then measures how long a raise takes to reach the
/// records service. Loopback targets only.
/// </summary>
public static class LoadCommand
{
    public static Command Create()
    {
        var target = new Option<string>("--target") { Description = "The challenge service or the gateway, e.g. http://127.0.0.1:5101 or http://127.0.0.1:8080 (loopback only).", Required = true };
        var recordsTarget = new Option<string?>("--records-target") { Description = "Where ListRecordEntries goes (default: --target)." };
        var concurrency = new Option<int>("--concurrency") { Description = "Calls in flight at once (closed loop).", DefaultValueFactory = _ => 16 };
        var duration = Duration("--duration", "How long to measure, after the warm-up (e.g. 20s).", TimeSpan.FromSeconds(20),
            TimeSpan.FromMilliseconds(100), TimeSpan.FromHours(1));
        var warmup = Duration("--warmup", "Load before measuring, not counted (JIT, connections, pools).", TimeSpan.FromSeconds(3),
            TimeSpan.Zero, TimeSpan.FromMinutes(10));
        var keyFile = new Option<FileInfo>("--key-file") { Description = "The development signing key (base64), as the run command writes it.", DefaultValueFactory = _ => new FileInfo(TokenCommand.DefaultKeyFile) };
        var samples = new Option<int>("--records-samples") { Description = "Sequential raise-to-record samples after the load; 0 skips them.", DefaultValueFactory = _ => 50 };
        var callers = new Option<int>("--callers") { Description = "Distinct professionals the calls rotate over, so the gateway's per-caller rate limit is not what is measured.", DefaultValueFactory = _ => 64 };
        var pollInterval = Duration("--poll-interval", "Pause between ListRecordEntries polls of one sample.", TimeSpan.FromMilliseconds(5),
            TimeSpan.FromMilliseconds(1), TimeSpan.FromSeconds(1));
        var drainTimeout = Duration("--drain-timeout", "How long to wait for the load's backlog to reach the records service before sampling.",
            TimeSpan.FromSeconds(60), TimeSpan.Zero, TimeSpan.FromMinutes(10));
        var maxCalls = new Option<long>("--max-calls") { Description = "Hard cap on load calls, whatever the duration.", DefaultValueFactory = _ => 2_000_000 };
        var busDrain = Duration("--bus-drain", "After the load, wait up to this long for every outbox and consumer group (XINFO GROUPS lag and pending) to reach zero, and print the drain time; 0s skips it.",
            TimeSpan.Zero, TimeSpan.Zero, TimeSpan.FromMinutes(10));
        var redis = Support.SupportCommandOptions.Redis();
        var rate = new Option<double>("--rate") { Description = "Open loop: raises per second at a fixed arrival rate, each timed from its intended start; raise->record time of every raise from its record entry. 0: closed loop at --concurrency.", DefaultValueFactory = _ => 0 };

        Range(concurrency, 1, 1024);
        Range(callers, 1, 10_000);
        Range(samples, 0, 10_000);
        Range(maxCalls, 1, 100_000_000);
        Range(rate, 0, 20_000);

        var command = new Command("load", "Drive RaiseChallenge load at the suite and measure latency, throughput and raise-to-record time.")
        {
            target, recordsTarget, concurrency, duration.Option, warmup.Option, keyFile, samples, callers, pollInterval.Option,
            drainTimeout.Option, maxCalls, rate, busDrain.Option, redis,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            if (!LoopbackTarget.TryParse(parse.GetValue(target)!, out var targetUri, out var error)
                || !LoopbackTarget.TryParse(parse.GetValue(recordsTarget) ?? targetUri.ToString(), out var recordsUri, out error))
            {
                Console.Error.WriteLine(error);
                return 2;
            }
            var key = parse.GetValue(keyFile)!;
            if (!key.Exists)
            {
                Console.Error.WriteLine($"No signing key at {key.FullName}: start the suite first (scripts/run.sh) or pass --key-file.");
                return 2;
            }
            var settings = new LoadSettings(targetUri, recordsUri, parse.GetValue(concurrency), duration.ValueIn(parse), warmup.ValueIn(parse),
                parse.GetValue(callers), parse.GetValue(samples), pollInterval.ValueIn(parse), drainTimeout.ValueIn(parse), parse.GetValue(maxCalls))
            {
                Rate = parse.GetValue(rate),
                BusDrainTimeout = busDrain.ValueIn(parse),
                Redis = parse.GetValue(redis)!,
            };
            var auth = new AuthOptions { SigningKey = (await File.ReadAllTextAsync(key.FullName, cancellationToken)).Trim() };
            return await RunAsync(settings, auth, Console.Out, cancellationToken);
        });
        return command;
    }

    public static async Task<int> RunAsync(LoadSettings settings, AuthOptions auth, TextWriter output, CancellationToken cancellationToken)
    {
        // Tokens outlive the longest run the options allow.
        var pool = CallerPool.Mint(auth, settings.Callers, TimeSpan.FromHours(2), DateTimeOffset.UtcNow);
        using var channel = OpenChannel(settings.Target);
        using var recordsChannel = settings.RecordsTarget == settings.Target ? null : OpenChannel(settings.RecordsTarget);
        var challenges = new ChallengeService.ChallengeServiceClient(channel);
        var records = new RecordsService.RecordsServiceClient(recordsChannel ?? channel);
        // Connected before the load, so the drain time after it is not a connection's set-up.
        using var redis = settings.BusDrainTimeout > TimeSpan.Zero ? await Support.RedisConnections.OpenAsync(settings.Redis, Console.Error) : null;
        if (settings.BusDrainTimeout > TimeSpan.Zero && redis is null)
            return 1;
        var bus = redis is null ? null : await BusLagReader.OpenAsync(redis);
        if (settings.Rate > 0)
            return await RunOpenLoopAsync(settings, pool, challenges, records, bus, output, cancellationToken);

        var traffic = await new RaiseTraffic(challenges, pool, settings.CallTimeout)
            .RunAsync(settings.Concurrency, settings.Warmup, settings.Duration, settings.MaxCalls, cancellationToken);
        LoadReport.Traffic(output, settings, traffic);
        if (!await BusDrainedAsync(bus, settings, output, cancellationToken))
            return 1;
        if (settings.RecordsSamples == 0 || cancellationToken.IsCancellationRequested)
            return traffic.Latencies.Count > 0 ? 0 : 1;

        output.WriteLine($"records: raise -> ListRecordEntries at {settings.RecordsTarget}");
        var probe = new RecordLagProbe(challenges, records, pool, settings.PollInterval, settings.RecordTimeout, settings.CallTimeout);
        var drain = await probe.DrainAsync(traffic.LastRaised, settings.DrainTimeout, cancellationToken);
        LoadReport.Drain(output, drain, traffic.LastRaised.Count);
        if (drain.Failure is not null)
            return 1;
        var lag = await probe.SampleAsync(settings.RecordsSamples, cancellationToken);
        LoadReport.RecordLag(output, settings, lag);
        return traffic.Latencies.Count > 0 && lag.Lags.Count > 0 ? 0 : 1;
    }

    private static async Task<int> RunOpenLoopAsync(LoadSettings settings, CallerPool pool, ChallengeService.ChallengeServiceClient challenges,
        RecordsService.RecordsServiceClient records, BusLagReader? bus, TextWriter output, CancellationToken cancellationToken)
    {
        var traffic = await new OpenLoopTraffic(challenges, pool, settings.CallTimeout)
            .RunAsync(settings.Rate, settings.Warmup, settings.Duration, settings.MaxCalls, cancellationToken);
        LoadReport.OpenLoop(output, settings, traffic);
        if (!await BusDrainedAsync(bus, settings, output, cancellationToken))
            return 1;
        if (settings.RecordsSamples == 0 || traffic.Raised.Count == 0 || cancellationToken.IsCancellationRequested)
            return traffic.Latencies.Count > 0 ? 0 : 1;
        output.WriteLine($"records: raise -> record entry at {settings.RecordsTarget}, from each entry's record time");
        var lag = await new RecordTimes(records, pool, settings.CallTimeout).MeasureAsync(traffic.Raised, settings.DrainTimeout, cancellationToken);
        LoadReport.RecordTimes(output, traffic, lag);
        return lag.Lags.Count > 0 && lag.Missing == 0 ? 0 : 1;
    }

    /// <summary>
    /// With --bus-drain: right after the load (before any records are read, which would load the
    /// suite again), polls the bus until it is drained or the wait ends. An outbox a service made
    /// during the load is looked for once the rest is drained, and waited for too. False when the
    /// bus did not drain.
    /// </summary>
    private static async Task<bool> BusDrainedAsync(BusLagReader? bus, LoadSettings settings, TextWriter output, CancellationToken cancellationToken)
    {
        if (bus is null || cancellationToken.IsCancellationRequested)
            return true;
        var time = TimeProvider.System;
        var started = time.GetTimestamp();
        var readings = 0;
        var lastBusy = new Dictionary<string, TimeSpan>(StringComparer.Ordinal);
        BusDrainResult drain;
        while (true)
        {
            drain = await BusDrain.WaitAsync(bus.ReadAsync, settings.BusDrainTimeout, BusDrainPollInterval, time, cancellationToken, started);
            readings += drain.Readings;
            foreach (var (what, at) in drain.LastBusy)
                lastBusy[what] = at;
            if (!drain.Drained)
                break;
            // Not part of the drain time: the look for an outbox a service made during the load.
            var known = bus.Outboxes;
            await bus.FindOutboxesAsync();
            if (bus.Outboxes == known || (await bus.ReadAsync()).Drained)
                break;
        }
        LoadReport.BusDrain(output, drain with { Readings = readings, LastBusy = lastBusy });
        return drain.Drained;
    }

    /// <summary>How often the bus is read while it drains: the drain time is late by at most this.</summary>
    public static readonly TimeSpan BusDrainPollInterval = TimeSpan.FromMilliseconds(10);

    /// <summary>One HTTP/2 (h2c) channel shared by every worker; more connections only if streams run out.</summary>
    private static GrpcChannel OpenChannel(Uri address) => GrpcChannel.ForAddress(address, new GrpcChannelOptions
    {
        HttpHandler = new SocketsHttpHandler
        {
            // Never through a proxy from the environment: traffic stays on loopback.
            UseProxy = false,
            EnableMultipleHttp2Connections = true,
        },
    });

    private static DurationOption Duration(string name, string description, TimeSpan defaultValue, TimeSpan min, TimeSpan max) =>
        new(name, description, defaultValue, min, max);

    private static void Range<T>(Option<T> option, T min, T max) where T : IComparable<T> =>
        option.Validators.Add(result =>
        {
            var value = result.GetValueOrDefault<T>();
            if (value.CompareTo(min) < 0 || value.CompareTo(max) > 0)
                result.AddError($"{option.Name} must be between {min} and {max}.");
        });
}
