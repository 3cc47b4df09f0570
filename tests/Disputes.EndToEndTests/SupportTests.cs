using System.Diagnostics;
using System.Reflection;
using System.Text.Json;
using Disputes.V1;
using Grpc.Core;

namespace Disputes.EndToEndTests;

/// <summary><c>disputes-tools trace</c>, run as a process against the real suite through the gateway.</summary>
[Collection(SuiteCollection.Name)]
public sealed class SupportTests(SuiteFixture suite)
{
    private readonly ChallengeService.ChallengeServiceClient _challenges = new(suite.Gateway);
    private readonly RecordsService.RecordsServiceClient _records = new(suite.Gateway);
    private readonly NotificationService.NotificationServiceClient _notifications = new(suite.Gateway);

    [Fact]
    public async Task Trace_shows_a_dispute_end_to_end_with_its_traces_and_never_its_narrative()
    {
        var traceId = ActivityTraceId.CreateRandom().ToHexString();
        var headers = suite.Bearer("pc-101", "police");
        headers.Add("traceparent", $"00-{traceId}-{ActivitySpanId.CreateRandom().ToHexString()}-01");
        var raise = DisputeLifecycleTests.NewRaise();
        var raised = await _challenges.RaiseChallengeAsync(raise, headers);
        var id = raised.Name["challenges/".Length..];
        // Wait until the records and notification services have caught up, as a support engineer would find it.
        var entries = await Until(async () => (await _records.ListRecordEntriesAsync(new ListRecordEntriesRequest { Parent = raised.Name }, suite.Bearer("pc-101", "police"))).Entries,
            found => found.Count > 0);
        var deliveries = await Until(async () => (await _notifications.ListDeliveriesAsync(new ListDeliveriesRequest { Parent = raised.Name }, suite.Bearer("pc-101", "police"))).Deliveries,
            found => found.Count > 0);
        var challenge = await _challenges.GetChallengeAsync(new GetChallengeRequest { Name = raised.Name }, suite.Bearer("pc-101", "police"));

        var (exit, output, error) = await RunToolAsync("trace", id, "--json", "--no-bus", "--token", suite.Token("support-anna", "support", "support"),
            "--trace-url", "http://localhost:16686/trace/{traceId}");

        Assert.True(exit == 0, $"exit {exit}: {error}");
        using var report = JsonDocument.Parse(output);
        var root = report.RootElement;
        Assert.Equal(id, root.GetProperty("challenge").GetString());
        Assert.Equal("STAGE_PROFESSIONAL_DISCUSSION", root.GetProperty("overview").GetProperty("stage").GetString());
        Assert.Equal(traceId, root.GetProperty("overview").GetProperty("traceId").GetString());
        Assert.Equal($"http://localhost:16686/trace/{traceId}", root.GetProperty("overview").GetProperty("traceUrl").GetString());
        Assert.Equal("police/pc-101", root.GetProperty("overview").GetProperty("raisingParty").GetString());
        Assert.Equal(JsonValueKind.Object, root.GetProperty("escalation").ValueKind);
        Assert.NotEqual(JsonValueKind.Null, root.GetProperty("escalation").GetProperty("stageDueTime").ValueKind);

        var timeline = root.GetProperty("timeline").EnumerateArray().ToArray();
        Assert.True(timeline.Count(i => i.GetProperty("service").GetString() == "records") >= entries.Count);
        Assert.True(timeline.Count(i => i.GetProperty("service").GetString() == "notification") >= deliveries.Count);
        Assert.Equal(challenge.History.Count, timeline.Count(i => i.GetProperty("service").GetString() == "challenge"));
        var raisedEntry = timeline.First(i => i.GetProperty("service").GetString() == "records");
        Assert.Equal(traceId, raisedEntry.GetProperty("traceId").GetString());
        Assert.Equal($"http://localhost:16686/trace/{traceId}", raisedEntry.GetProperty("traceUrl").GetString());
        var times = timeline.Select(i => i.GetProperty("time").GetDateTimeOffset()).ToArray();
        Assert.Equal(times.Order(), times);

        // Without Redis the path is still shown, and the report says the bus was not looked at.
        var withoutBus = await RunToolAsync("trace", id, "--json", "--redis", "127.0.0.1:1", "--token", suite.Token("support-anna", "support", "support"));
        Assert.True(withoutBus.Exit == 0, withoutBus.Error);
        using var partial = JsonDocument.Parse(withoutBus.Output);
        Assert.Contains(partial.RootElement.GetProperty("problems").EnumerateArray(), p => p.GetString()!.StartsWith("bus: Cannot reach Redis", StringComparison.Ordinal));
        Assert.True(partial.RootElement.GetProperty("timeline").GetArrayLength() >= timeline.Length);

        foreach (var narrative in new[] { raise.Challenge.Subject, raise.Challenge.UnsafePracticeReason, raise.Challenge.DesiredChange, raise.Challenge.ImpactOnChild, "child-ref-42" })
            Assert.DoesNotContain(narrative, output);
    }

    [Fact]
    public async Task The_local_spans_files_hold_the_raise_across_all_four_services_and_trace_lists_them()
    {
        var traceId = ActivityTraceId.CreateRandom().ToHexString();
        var headers = suite.Bearer("pc-101", "police");
        headers.Add("traceparent", $"00-{traceId}-{ActivitySpanId.CreateRandom().ToHexString()}-01");
        var raise = DisputeLifecycleTests.NewRaise();
        var raised = await _challenges.RaiseChallengeAsync(raise, headers);
        var id = raised.Name["challenges/".Length..];
        var services = new[] { "Disputes.Gateway", "Disputes.Challenge", "Disputes.Escalation", "Disputes.Notification", "Disputes.Records" };

        // Each process writes its spans in batches, about every second.
        var seen = await Until(() => Task.FromResult(SpansOfTrace(traceId)), found => services.All(found.Contains));
        Assert.True(services.All(seen.Contains), $"services with spans in the raise's trace: {string.Join(", ", seen)}");

        var (exit, output, error) = await RunToolAsync("trace", id, "--json", "--no-bus", "--spans", suite.SpansDirectory,
            "--token", suite.Token("support-anna", "support", "support"));
        Assert.True(exit == 0, $"exit {exit}: {error}");
        using var report = JsonDocument.Parse(output);
        var trace = Assert.Single(report.RootElement.GetProperty("spans").EnumerateArray(), t => t.GetProperty("traceId").GetString() == traceId);
        var spans = trace.GetProperty("spans").EnumerateArray().ToArray();
        Assert.Subset(spans.Select(s => s.GetProperty("service").GetString()!).ToHashSet(), services.ToHashSet());
        Assert.Contains(spans, s => s.GetProperty("service").GetString() == "Disputes.Challenge" && s.GetProperty("name").GetString()!.Contains("RaiseChallenge"));
        Assert.Contains(spans, s => s.GetProperty("name").GetString() == "process challenge-raised");
        Assert.All(spans, s => Assert.True(s.GetProperty("durationMs").GetDouble() >= 0));
        // Parents come before their children: every span below the top names a parent listed earlier.
        for (var i = 0; i < spans.Length; i++)
        {
            if (spans[i].GetProperty("depth").GetInt32() > 0)
                Assert.Contains(spans[..i], p => p.GetProperty("spanId").GetString() == spans[i].GetProperty("parentSpanId").GetString());
        }
        foreach (var narrative in new[] { raise.Challenge.Subject, raise.Challenge.UnsafePracticeReason, raise.Challenge.DesiredChange, raise.Challenge.ImpactOnChild, "child-ref-42" })
        {
            Assert.DoesNotContain(narrative, output);
            Assert.DoesNotContain(narrative, string.Concat(Directory.GetFiles(suite.SpansDirectory).Select(ReadShared)));
        }

        var table = await RunToolAsync("trace", id, "--no-bus", "--spans", suite.SpansDirectory, "--token", suite.Token("support-anna", "support", "support"));
        Assert.True(table.Exit == 0, table.Error);
        Assert.Contains($"trace {traceId}", table.Output);

        var missing = await RunToolAsync("trace", id, "--no-bus", "--spans", Path.Combine(suite.SpansDirectory, "missing"), "--token", suite.Token("support-anna", "support", "support"));
        Assert.NotEqual(0, missing.Exit);
        Assert.Contains("neither a file nor a directory", missing.Error);
    }

    /// <summary>The services that wrote a span of the trace so far.</summary>
    private HashSet<string> SpansOfTrace(string traceId) => Directory.Exists(suite.SpansDirectory)
        ? Directory.GetFiles(suite.SpansDirectory, "*.jsonl")
            .SelectMany(f => ReadShared(f).Split('\n', StringSplitOptions.RemoveEmptyEntries))
            .Where(l => l.Contains(traceId, StringComparison.Ordinal))
            .Select(l => { try { return JsonDocument.Parse(l).RootElement.GetProperty("service").GetString()!; } catch (JsonException) { return ""; } })
            .ToHashSet()
        : [];

    private static string ReadShared(string file)
    {
        using var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        return new StreamReader(stream).ReadToEnd();
    }

    [Fact]
    public async Task Trace_of_an_unknown_challenge_or_without_the_right_to_see_it_fails_clearly()
    {
        var raised = await _challenges.RaiseChallengeAsync(DisputeLifecycleTests.NewRaise(), suite.Bearer("pc-101", "police"));

        var unknown = await RunToolAsync("trace", "01JD0000000000000000000000", "--no-bus", "--token", suite.Token("support-anna", "support", "support"));
        var outsider = await RunToolAsync("trace", raised.Name, "--no-bus", "--token", suite.Token("hv-1", "health"));
        var malformed = await RunToolAsync("trace", "challenges/not an id", "--no-bus");

        Assert.Equal(3, unknown.Exit);
        Assert.Contains("No challenge", unknown.Error);
        Assert.Equal(1, outsider.Exit);
        Assert.Contains("PermissionDenied", outsider.Error);
        Assert.NotEqual(0, malformed.Exit);
        Assert.Contains("not a challenge id", malformed.Error);
    }

    private async Task<(int Exit, string Output, string Error)> RunToolAsync(params string[] arguments)
    {
        var configuration = typeof(SupportTests).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration ?? "Debug";
        var tool = Path.Combine(Repository.Root(), "tools", "Disputes.Tools", "bin", configuration, "net10.0", "disputes-tools.dll");
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(tool);
        foreach (var argument in arguments)
            start.ArgumentList.Add(argument);
        start.ArgumentList.Add("--gateway");
        start.ArgumentList.Add($"http://{suite.Gateway.Target}");
        start.Environment["NO_COLOR"] = "1";
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await output, await error);
    }


    private static async Task<T> Until<T>(Func<Task<T>> read, Func<T, bool> done)
    {
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (true)
        {
            try
            {
                var value = await read();
                if (done(value) || DateTime.UtcNow > deadline)
                    return value;
            }
            catch (RpcException e) when (e.StatusCode == StatusCode.NotFound && DateTime.UtcNow < deadline)
            {
            }
            await Task.Delay(50);
        }
    }
}
