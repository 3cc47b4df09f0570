using System.CommandLine;
using System.Globalization;
using Disputes.ServiceDefaults.Identity;
using Disputes.V1;
using Grpc.Health.V1;
using Grpc.Net.Client;

namespace Disputes.Tools;

/// <summary>
/// <c>ratios</c>: in one run, with one client and the same settings, how many calls per second a
/// bare grpc-dotnet unary call (a minimal server in this process), RaiseChallenge direct to the
/// challenge service and RaiseChallenge through the gateway each serve; then raise/bare and
/// gateway/direct. Loopback targets only; every phase is bounded.
/// </summary>
public static class RatiosCommand
{
    public const double RaiseToBareGoal = 0.2;
    public const double GatewayToDirectGoal = 0.8;

    public static Command Create()
    {
        var direct = new Option<string>("--direct") { Description = "The challenge service's gRPC address (loopback only).", DefaultValueFactory = _ => "http://127.0.0.1:5101" };
        var gateway = new Option<string>("--gateway") { Description = "The gateway's gRPC address (loopback only).", DefaultValueFactory = _ => "http://127.0.0.1:8080" };
        var concurrency = new Option<int[]>("--concurrency") { Description = "Calls in flight at once (closed loop); repeat for several.", DefaultValueFactory = _ => [8, 32], AllowMultipleArgumentsPerToken = true };
        var rounds = new Option<int>("--rounds") { Description = "Rounds per concurrency; each round measures the three targets in turn, the median is reported.", DefaultValueFactory = _ => 3 };
        var duration = new DurationOption("--duration", "How long each target is measured in a round, after its warm-up.", TimeSpan.FromSeconds(3),
            TimeSpan.FromMilliseconds(100), TimeSpan.FromMinutes(1));
        var warmup = new DurationOption("--warmup", "Calls before each measurement, not counted.", TimeSpan.FromSeconds(1),
            TimeSpan.Zero, TimeSpan.FromSeconds(30));
        var keyFile = new Option<FileInfo>("--key-file") { Description = "The development signing key (base64), as the run command writes it.", DefaultValueFactory = _ => new FileInfo(TokenCommand.DefaultKeyFile) };
        var callers = new Option<int>("--callers") { Description = "Distinct professionals the calls rotate over, so the gateway's per-caller rate limit is not what is measured.", DefaultValueFactory = _ => 64 };
        var maxCalls = new Option<long>("--max-calls") { Description = "Hard cap on calls of one measurement, whatever the duration.", DefaultValueFactory = _ => 1_000_000 };
        concurrency.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<int[]>() is not { Length: > 0 and <= 8 } values || values.Any(c => c is < 1 or > 1024))
                result.AddError("--concurrency takes 1 to 8 values, each between 1 and 1024.");
        });
        rounds.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<int>() is < 1 or > 9)
                result.AddError("--rounds must be between 1 and 9.");
        });
        callers.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<int>() is < 1 or > 10_000)
                result.AddError("--callers must be between 1 and 10000.");
        });
        maxCalls.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<long>() is < 1 or > 100_000_000)
                result.AddError("--max-calls must be between 1 and 100000000.");
        });

        var command = new Command("ratios", "Measure a bare gRPC call, RaiseChallenge direct and RaiseChallenge through the gateway in one run, and print their ratios.")
        {
            direct, gateway, concurrency, rounds, duration.Option, warmup.Option, keyFile, callers, maxCalls,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            if (!LoopbackTarget.TryParse(parse.GetValue(direct)!, out var directUri, out var error)
                || !LoopbackTarget.TryParse(parse.GetValue(gateway)!, out var gatewayUri, out error))
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
            var auth = new AuthOptions { SigningKey = (await File.ReadAllTextAsync(key.FullName, cancellationToken)).Trim() };
            var settings = new RatioSettings(directUri, gatewayUri, parse.GetValue(concurrency)!, parse.GetValue(rounds),
                duration.ValueIn(parse), warmup.ValueIn(parse), parse.GetValue(callers), parse.GetValue(maxCalls));
            return await RunAsync(settings, auth, Console.Out, cancellationToken);
        });
        return command;
    }

    public static async Task<int> RunAsync(RatioSettings settings, AuthOptions auth, TextWriter output, CancellationToken cancellationToken)
    {
        var pool = CallerPool.Mint(auth, settings.Callers, TimeSpan.FromHours(2), DateTimeOffset.UtcNow);
        await using var bareServer = await BareGrpcServer.StartAsync(cancellationToken);
        using var bareChannel = OpenChannel(bareServer.Address);
        using var directChannel = OpenChannel(settings.Direct);
        using var gatewayChannel = OpenChannel(settings.Gateway);
        var bare = new Health.HealthClient(bareChannel);
        var directClient = new ChallengeService.ChallengeServiceClient(directChannel);
        var gatewayClient = new ChallengeService.ChallengeServiceClient(gatewayChannel);
        var deadline = settings.CallTimeout;

        // The same caller rotation, headers and deadline for all three: only the server differs.
        var targets = new (string Name, Func<CancellationToken, Task> Call)[]
        {
            ("bare", async ct =>
            {
                var caller = pool.Next();
                await bare.CheckAsync(new HealthCheckRequest(), caller.Headers, DateTime.UtcNow + deadline, ct);
            }),
            ("direct", async ct =>
            {
                var caller = pool.Next();
                await directClient.RaiseChallengeAsync(RaiseRequests.For(caller), caller.Headers, DateTime.UtcNow + deadline, ct);
            }),
            ("gateway", async ct =>
            {
                var caller = pool.Next();
                await gatewayClient.RaiseChallengeAsync(RaiseRequests.For(caller), caller.Headers, DateTime.UtcNow + deadline, ct);
            }),
        };

        output.WriteLine(Invariant($"ratios: bare grpc.health.v1 Check at {bareServer.Address} (in process), RaiseChallenge direct at {settings.Direct} and through the gateway at {settings.Gateway}"));
        output.WriteLine(Invariant($"  {settings.Callers} callers, {settings.Rounds} rounds, each target {settings.Warmup.TotalSeconds:0.#} s warm-up + {settings.Duration.TotalSeconds:0.#} s measured, in turn"));
        var everyTargetServed = true;
        foreach (var concurrency in settings.Concurrency)
        {
            output.WriteLine(Invariant($"concurrency {concurrency}"));
            var perTarget = targets.Select(_ => new List<RoundResult>()).ToArray();
            for (var round = 0; round < settings.Rounds && !cancellationToken.IsCancellationRequested; round++)
            {
                // Each round starts with the next target, so a slow drift of the machine is shared out.
                var line = new List<string>();
                for (var i = 0; i < targets.Length; i++)
                {
                    var t = (round + i) % targets.Length;
                    var result = await ClosedLoop.RunAsync(concurrency, settings.Warmup, settings.Duration, settings.MaxCalls,
                        targets[t].Call, cancellationToken);
                    perTarget[t].Add(result);
                    line.Add(Invariant($"{targets[t].Name} {result.CallsPerSecond,9:N0}/s") + (result.Errors.Total > 0 ? $" (errors: {result.Errors})" : ""));
                }
                output.WriteLine($"  round {round + 1}   {string.Join("   ", line)}");
            }
            var medians = perTarget.Select(results => Median(results.Select(r => r.CallsPerSecond))).ToArray();
            everyTargetServed &= medians.All(m => m > 0);
            output.WriteLine("  median    " + string.Join("   ", targets.Select((t, i) => Invariant($"{t.Name} {medians[i],9:N0}/s"))));
            output.WriteLine("  " + Ratio("raise/bare", medians[1], medians[0], RaiseToBareGoal) + "   "
                + Ratio("gateway/direct", medians[2], medians[1], GatewayToDirectGoal));
        }
        return everyTargetServed ? 0 : 1;
    }

    private static string Ratio(string name, double numerator, double denominator, double goal)
    {
        if (denominator <= 0)
            return $"{name} n/a";
        var ratio = numerator / denominator;
        return Invariant($"{name} {ratio:0.000} (goal >= {goal:0.0}: {(ratio >= goal ? "reached" : "not reached")})");
    }

    private static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        if (sorted.Length == 0)
            return 0;
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
    }

    /// <summary>One h2c channel per target, never through a proxy from the environment.</summary>
    private static GrpcChannel OpenChannel(Uri address) => GrpcChannel.ForAddress(address, new GrpcChannelOptions
    {
        HttpHandler = new SocketsHttpHandler { UseProxy = false, EnableMultipleHttp2Connections = true },
    });

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}

/// <summary>One ratios run, as parsed and checked from the command line.</summary>
public sealed record RatioSettings(Uri Direct, Uri Gateway, int[] Concurrency, int Rounds, TimeSpan Duration, TimeSpan Warmup, int Callers, long MaxCalls)
{
    /// <summary>A deadline on every call, so a stuck server cannot hold the run open.</summary>
    public TimeSpan CallTimeout { get; init; } = TimeSpan.FromSeconds(10);
}
