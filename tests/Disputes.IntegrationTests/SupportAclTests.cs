using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using Disputes.EventBus;
using Disputes.EventBus.Redis;
using Disputes.Procedure;
using Disputes.Redis;
using Disputes.Tools.Support;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Disputes.IntegrationTests;

/// <summary>
/// The support commands as the Redis "support" user of the deployment's users.acl: everything they
/// do (SCAN, XINFO, XPENDING, the replay's WATCH/MULTI/EXEC) is within what that user may do.
/// </summary>
[Trait(RedisTopology.Trait, RedisTopology.SingleServerOnly)]
public sealed partial class SupportAclTests : IAsyncLifetime
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), $"disputes-support-acl-{Guid.NewGuid():N}");
    private Process? _server;
    private int _port;

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(_directory);
        var root = new DirectoryInfo(AppContext.BaseDirectory);
        while (root is not null && !File.Exists(Path.Combine(root.FullName, "Disputes.slnx")))
            root = root.Parent;
        var template = await File.ReadAllTextAsync(Path.Combine(root!.FullName, "deploy", "k8s", "base", "redis", "users.acl"));
        // As the Redis pod's init container renders it: each placeholder becomes the SHA-256 of the user's password.
        await File.WriteAllTextAsync(Path.Combine(_directory, "users.acl"), Placeholder().Replace(template,
            m => "#" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(PasswordOf(m.Groups[1].Value))))));
        _port = RedisServerFixture.FreePort();
        var start = new ProcessStartInfo(RedisServerFixture.FindOnPath("redis-server") ?? throw new InvalidOperationException("redis-server is not on PATH."))
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var argument in new[] { "--port", $"{_port}", "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", _directory, "--aclfile", Path.Combine(_directory, "users.acl") })
            start.ArgumentList.Add(argument);
        _server = Process.Start(start)!;
        _server.OutputDataReceived += (_, _) => { };
        _server.ErrorDataReceived += (_, _) => { };
        _server.BeginOutputReadLine();
        _server.BeginErrorReadLine();
        // A refused connection fails at once, whatever the retries: wait until the server listens.
        await Eventually.HoldsAsync(async () =>
        {
            using var probe = new System.Net.Sockets.TcpClient();
            try
            {
                await probe.ConnectAsync(System.Net.IPAddress.Loopback, _port);
                return true;
            }
            catch (System.Net.Sockets.SocketException)
            {
                return false;
            }
        }, "redis-server listens");
    }

    public Task DisposeAsync()
    {
        if (_server is { HasExited: false })
        {
            _server.Kill();
            _server.WaitForExit(5000);
        }
        _server?.Dispose();
        if (Directory.Exists(_directory))
            Directory.Delete(_directory, recursive: true);
        return Task.CompletedTask;
    }

    [Fact]
    public async Task Bus_status_trace_and_a_replay_work_as_the_support_user()
    {
        using var records = await ConnectAsync("records");
        using var support = await ConnectAsync("support");
        var db = records.GetDatabase();
        // The records service consumes challenge-raised and dead-letters one event, as its own user.
        await db.StreamCreateConsumerGroupAsync("challenge-raised", "records", "0", createStream: true);
        await db.StringSetAsync("records:state", "x");
        var deadLetter = await db.StreamAddAsync("challenge-raised-deadletter", [
            new NameValueEntry("data", EventEnvelopeJson("e1", "01JD0000000000000000000042")),
            new NameValueEntry("deadletter-reason", "handler failed 5 times"),
        ]);

        var status = await new BusInspector(support, TimeProvider.System).StatusAsync();
        var held = await new DisputeBusEvents(support).FindAsync("01JD0000000000000000000042");
        var desk = new DeadLetterDesk(support, TimeProvider.System);
        var listed = await desk.ListAsync("challenge-raised", 10);
        var replay = await desk.ReplayAsync("challenge-raised", deadLetter.ToString(), "support-anna", "fixed");
        var again = await desk.ReplayAsync("challenge-raised", deadLetter.ToString(), "support-anna", "fixed");

        Assert.Equal(1, status.Topics.Single(t => t.Topic == "challenge-raised").DeadLetters);
        Assert.Equal(BusEventState.DeadLettered, Assert.Single(held).State);
        Assert.Equal(1, listed.Total);
        Assert.Equal(DeadLetterOutcome.Replayed, replay.Outcome);
        Assert.Equal(DeadLetterOutcome.AlreadyReplayed, again.Outcome);
        Assert.Equal(1, await db.StreamLengthAsync("challenge-raised"));
        // What support may not do, even so: change a service's state, or read it (the narrative).
        var denied = await Assert.ThrowsAsync<RedisServerException>(() => support.GetDatabase().StringSetAsync("records:state", "y"));
        Assert.StartsWith("NOPERM", denied.Message);
        var unread = await Assert.ThrowsAsync<RedisServerException>(() => support.GetDatabase().StringGetAsync("records:state"));
        Assert.StartsWith("NOPERM", unread.Message);
    }

    [Fact]
    public async Task An_outbox_dead_letter_is_replayed_into_its_outbox_as_the_support_user()
    {
        using var records = await ConnectAsync("records");
        using var support = await ConnectAsync("support");
        var partition = RedisPartitions.Of("01JD0000000000000000000043");
        var outbox = OutboxStreams.StreamOf("records", partition);
        var deadLetter = await records.GetDatabase().StreamAddAsync($"{outbox}:deadletter", [
            new NameValueEntry("envelope", EventEnvelopeJson("e2", "01JD0000000000000000000043")),
            new NameValueEntry("deadletter-reason", "publish failed 10 times: RedisServerException"),
        ]);
        var desk = new DeadLetterDesk(support, TimeProvider.System);

        var listed = await desk.ListOutboxAsync("records:outbox", 10);
        var replay = await desk.ReplayOutboxAsync("records:outbox", $"p{partition:D2}/{deadLetter}", "support-anna", "ACL fixed");

        Assert.Equal(1, listed.Total);
        Assert.Equal(DeadLetterOutcome.Replayed, replay.Outcome);
        Assert.Equal(1, await records.GetDatabase().StreamLengthAsync(outbox));
        Assert.Equal(0, await records.GetDatabase().StreamLengthAsync($"{outbox}:deadletter"));
        // Support may put an event back in an outbox, never take one out.
        var denied = await Assert.ThrowsAsync<RedisServerException>(() => support.GetDatabase().StreamDeleteAsync(outbox, ["1-0"]));
        Assert.StartsWith("NOPERM", denied.Message);
    }

    [Fact]
    public async Task The_lag_sampler_works_as_a_service_user_and_counts_the_dead_letters_of_its_topics()
    {
        // A group name of its own: the gauges are process-wide, and other tests sample "records".
        const string group = "records-acl-probe";
        using var owner = await ConnectAsync("default");
        using var records = await ConnectAsync("records");
        using var metrics = new MetricRecorder();
        await records.GetDatabase().CreateIfMissingAsync("challenge-raised", group);
        for (var i = 0; i < 3; i++)
            await owner.GetDatabase().StreamAddAsync("challenge-raised", "data", "{}");
        await owner.GetDatabase().StreamAddAsync("challenge-raised-deadletter", "data", "{}");
        var sampler = new ConsumerLagSampler(records, new EventSubscriptions([EventSubscription.For<Disputes.V1.Events.ChallengeRaised, RecordingHandler>(IntegrationEvents.Catalog)]),
            Options.Create(new EventBusOptions { AppId = group }), TimeProvider.System, NullLogger<ConsumerLagSampler>.Instance);

        await sampler.SampleAsync();
        metrics.Observe();
        (string, string)[] tags = [("messaging.destination.name", "challenge-raised"), ("messaging.consumer.group.name", group)];
        Assert.Equal(3, metrics.Last("disputes.consumer.lag", tags));
        Assert.Equal(0, metrics.Last("disputes.consumer.pending", tags));
        // The service user may add to its dead-letter topics and count them (XLEN), nothing more.
        Assert.Equal(1, metrics.Last("disputes.deadletter.count", tags));
    }

    private Task<ConnectionMultiplexer> ConnectAsync(string user) =>
        ConnectionMultiplexer.ConnectAsync($"127.0.0.1:{_port},user={user},password={PasswordOf(user)},connectRetry=20,connectTimeout=5000");

    private static string EventEnvelopeJson(string id, string dispute) =>
        $$$"""{"specversion":"1.0","id":"{{{id}}}","source":"challenge","type":"disputes.v1.ChallengeRaised","time":"2027-01-15T08:00:00Z","disputeid":"{{{dispute}}}","data":{"challenge":"challenges/{{{dispute}}}","version":"1"}}""";

    private static string PasswordOf(string user) => $"test-password-of-{user}";

    [GeneratedRegex(@"#\{\{(\w+)\}\}")]
    private static partial Regex Placeholder();
}
