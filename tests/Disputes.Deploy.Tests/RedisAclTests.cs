using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using Disputes.Deploy.Tests.Infrastructure;

namespace Disputes.Deploy.Tests;

/// <summary>
/// deploy/k8s/base/redis/users.acl, rendered as the Redis pod's init container renders it and loaded
/// into a real redis-server: each service may use its own key prefix and its topics and nothing else,
/// may never delete or trim a topic, and the support user reads the bus's keys (never a service's
/// state) and writes only its own keys, topics and outboxes (replay) and dead letters (discard).
/// </summary>
public sealed partial class RedisAclTests : IClassFixture<RedisAclTests.AclServer>
{
    private static readonly string[] Services = ["challenge", "escalation", "notification", "records"];
    private readonly AclServer _redis;

    public RedisAclTests(AclServer redis) => _redis = redis;

    public static TheoryData<string> ServiceNames() => [.. Services];

    [Fact]
    public void Every_topic_of_events_proto_is_published_by_exactly_one_service()
    {
        var publishers = Services.SelectMany(s => Acl.PublishedBy(s).Select(t => (Topic: t, Service: s))).ToList();
        foreach (var topic in Contract.Topics.Values)
            Assert.Single(publishers, p => p.Topic == topic);
        Assert.All(publishers, p => Assert.Contains(p.Topic, Contract.Topics.Values));
    }

    [Theory]
    [MemberData(nameof(ServiceNames))]
    public void A_service_may_consume_every_topic_it_subscribes_to_in_code(string service)
    {
        var consumed = Acl.ConsumedBy(service);
        foreach (var message in Contract.HandledBy(service))
            Assert.True(consumed.Contains(Contract.Topics[message]), $"{service} handles {message} ({Contract.Topics[message]}) but its Redis user may not consume it.");
    }

    [Theory]
    [MemberData(nameof(ServiceNames))]
    public void A_service_uses_its_own_keys_and_topics_as_the_bus_does(string service)
    {
        var published = Acl.PublishedBy(service).First();
        var consumed = Acl.ConsumedBy(service).First();
        Allowed(service, "SET", $"{service}:state:1", "x");
        Allowed(service, "XADD", $"{service}:outbox", "*", "envelope", "{}");
        Allowed(service, "XDEL", $"{service}:outbox", "1-0");
        Allowed(service, "DEL", $"{service}:state:1");
        Allowed(service, "XADD", published, "MAXLEN", "~", "100000", "*", "data", "{}");
        Allowed(service, "XGROUP", "CREATE", consumed, service, "0", "MKSTREAM");
        Allowed(service, "XREADGROUP", "GROUP", service, $"{service}-1", "COUNT", "1", "STREAMS", consumed, ">");
        Allowed(service, "XACK", consumed, service, "1-0");
        Allowed(service, "XAUTOCLAIM", consumed, service, $"{service}-1", "60000", "0-0");
        Allowed(service, "XADD", consumed + "-deadletter", "*", "data", "{}");
    }

    [Theory]
    [MemberData(nameof(ServiceNames))]
    public void A_service_can_never_delete_or_trim_a_topic(string service)
    {
        foreach (var topic in Acl.PublishedBy(service).Concat(Acl.ConsumedBy(service)))
        {
            Denied(service, "XDEL", topic, "1-0");
            Denied(service, "XTRIM", topic, "MAXLEN", "0");
            Denied(service, "DEL", topic);
            Denied(service, "UNLINK", topic);
        }
    }

    [Theory]
    [MemberData(nameof(ServiceNames))]
    public void A_service_can_neither_read_nor_write_another_services_keys(string service)
    {
        foreach (var other in Services.Where(s => s != service))
        {
            Denied(service, "GET", $"{other}:state:1");
            Denied(service, "SET", $"{other}:state:1", "x");
            Denied(service, "XADD", $"{other}:outbox", "*", "envelope", "{}");
        }
        // The records chain in particular.
        if (service != "records")
            Denied(service, "HGETALL", "records:chain:01JD0000000000000000000000");
        Denied(service, "FLUSHALL");
        Denied(service, "KEYS", "*");
        Denied(service, "CONFIG", "SET", "aclfile", "/tmp/x");
    }

    [Theory]
    [MemberData(nameof(ServiceNames))]
    public void A_service_can_publish_only_its_own_events(string service)
    {
        foreach (var topic in Contract.Topics.Values.Except(Acl.PublishedBy(service)))
            Denied(service, "XADD", topic, "*", "data", "{}");
    }

    [Fact]
    public void Support_reads_the_bus_never_a_services_state_and_writes_only_audit_replays_and_discards()
    {
        Allowed("support", "XLEN", "challenge-raised");
        Allowed("support", "XINFO", "STREAM", "challenge-raised");
        Allowed("support", "XRANGE", "challenge-raised-deadletter", "-", "+");
        Allowed("support", "SCAN", "0", "MATCH", "*:outbox*");
        Allowed("support", "XRANGE", "challenge:{p07}:outbox", "-", "+");
        Allowed("support", "XLEN", "records:{p15}:outbox:deadletter");
        Allowed("support", "TYPE", "notification:{p00}:outbox:attempts");
        Allowed("support", "EXISTS", "records:{p07}:processed:01JD0000000000000000000001");
        Allowed("support", "XADD", "support:audit", "*", "who", "x");
        Allowed("support", "HSET", "support:replayed", "a", "b");
        Allowed("support", "XADD", "challenge-raised", "*", "data", "{}");
        Allowed("support", "XDEL", "challenge-raised-deadletter", "1-0");
        // An outbox dead letter goes back in its outbox for the service's relay.
        Allowed("support", "XADD", "challenge:{p07}:outbox", "*", "envelope", "{}");
        Allowed("support", "XDEL", "challenge:{p07}:outbox:deadletter", "1-0");
        Allowed("support", "HSET", "support:{p07}:outbox-replayed", "challenge/1-0", "x");
        // Never a service's state: the narrative, the records chain, the directory.
        Denied("support", "HGETALL", "challenge:{p07}:challenge:01JD0000000000000000000000");
        Denied("support", "HGETALL", "records:{p07}:chain:01JD0000000000000000000000");
        Denied("support", "HGETALL", "records:chain:01JD0000000000000000000000");
        Denied("support", "GET", "escalation:{directory}:agencies");
        Denied("support", "XDEL", "challenge-raised", "1-0");
        Denied("support", "XDEL", "challenge:{p07}:outbox", "1-0");
        Denied("support", "XADD", "challenge:{p07}:outbox:deadletter", "*", "envelope", "{}");
        Denied("support", "SET", "records:chain:01JD0000000000000000000000", "x");
        Denied("support", "DEL", "challenge:{p07}:outbox");
        Denied("support", "FLUSHALL");
    }

    private void Allowed(string user, params string[] command)
    {
        var reply = _redis.Run(user, command);
        Assert.False(reply.Contains("NOPERM", StringComparison.Ordinal), $"{user}: {string.Join(' ', command)} was refused: {reply}");
    }

    private void Denied(string user, params string[] command)
    {
        var reply = _redis.Run(user, command);
        Assert.True(reply.Contains("NOPERM", StringComparison.Ordinal), $"{user}: {string.Join(' ', command)} was allowed: {reply}");
    }

    /// <summary>The template's users and what each may touch, read from its selectors.</summary>
    private static class Acl
    {
        public static readonly string Template = File.ReadAllText(Repo.Combine("deploy", "k8s", "base", "redis", "users.acl"));

        public static string LineOf(string user) =>
            Template.Split('\n').Single(l => l.StartsWith($"user {user} ", StringComparison.Ordinal));

        /// <summary>Topics in the selector that grants XADD (without the dead-letter streams).</summary>
        public static IReadOnlyList<string> PublishedBy(string user) => Selectors(user)
            .Where(s => s.Commands.Contains("+xadd") && !s.Commands.Contains("+xreadgroup"))
            .SelectMany(s => s.Keys).Where(k => !k.EndsWith("-deadletter", StringComparison.Ordinal)).ToList();

        public static IReadOnlyList<string> ConsumedBy(string user) => Selectors(user)
            .Where(s => s.Commands.Contains("+xreadgroup")).SelectMany(s => s.Keys).ToList();

        private static IEnumerable<(List<string> Keys, List<string> Commands)> Selectors(string user) =>
            Selector().Matches(LineOf(user)).Select(m =>
            {
                var parts = m.Groups[1].Value.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                return (parts.Where(p => p.StartsWith('~')).Select(p => p[1..]).ToList(), parts.Where(p => !p.StartsWith('~')).ToList());
            });
    }

    /// <summary>What the code says: topics from events.proto, handlers from each service's AddEventHandler calls.</summary>
    private static class Contract
    {
        public static readonly IReadOnlyDictionary<string, string> Topics = TopicOption()
            .Matches(File.ReadAllText(Repo.Combine("protos", "disputes", "v1", "events.proto")))
            .ToDictionary(m => m.Groups[1].Value, m => m.Groups[2].Value, StringComparer.Ordinal);

        public static IEnumerable<string> HandledBy(string service) =>
            Directory.EnumerateFiles(Repo.Combine("services", service), "*.cs", SearchOption.AllDirectories)
                .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
                    && !f.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
                .SelectMany(f => Handler().Matches(File.ReadAllText(f)).Select(m => m.Groups[1].Value))
                .Distinct();
    }

    [GeneratedRegex(@"\(([^()]*)\)")]
    private static partial Regex Selector();

    [GeneratedRegex(@"message\s+(\w+)\s*\{\s*option\s*\(topic\)\s*=\s*""([^""]+)""")]
    private static partial Regex TopicOption();

    [GeneratedRegex(@"AddEventHandler<(\w+)\s*,")]
    private static partial Regex Handler();

    /// <summary>A redis-server loaded with users.acl rendered as the pod renders it (each placeholder -> SHA-256 of the user's password).</summary>
    public sealed class AclServer : IDisposable
    {
        private readonly string _directory = Path.Combine(Path.GetTempPath(), $"disputes-acl-{Guid.NewGuid():N}");
        private readonly Process _process;
        private readonly string _cli;
        private readonly int _port;

        public AclServer()
        {
            var server = Tool.Require("redis-server", "REDIS_SERVER", "Install redis-server (scripts/test.sh does)");
            _cli = Tool.Require("redis-cli", "REDIS_CLI", "Install redis-tools (comes with redis-server)");
            Directory.CreateDirectory(_directory);
            var acl = Placeholder().Replace(Acl.Template, m => "#" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(PasswordOf(m.Groups[1].Value)))));
            File.WriteAllText(Path.Combine(_directory, "users.acl"), acl);
            using (var listener = new TcpListener(IPAddress.Loopback, 0))
            {
                listener.Start();
                _port = ((IPEndPoint)listener.LocalEndpoint).Port;
            }
            var start = new ProcessStartInfo(server) { RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (var argument in new[] { "--port", $"{_port}", "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", _directory, "--aclfile", Path.Combine(_directory, "users.acl") })
                start.ArgumentList.Add(argument);
            _process = Process.Start(start)!;
            _process.OutputDataReceived += (_, _) => { };
            _process.ErrorDataReceived += (_, _) => { };
            _process.BeginOutputReadLine();
            _process.BeginErrorReadLine();
            var deadline = DateTime.UtcNow.AddSeconds(20);
            while (!Run("default", "PING").Contains("PONG", StringComparison.Ordinal))
            {
                if (DateTime.UtcNow > deadline || _process.HasExited)
                    throw new InvalidOperationException("redis-server did not start with the rendered users.acl (a line Redis cannot parse stops it).");
                Thread.Sleep(100);
            }
        }

        public string Run(string user, params string[] command)
        {
            var start = new ProcessStartInfo(_cli) { RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (var argument in new[] { "-p", $"{_port}", "--user", user, "--pass", PasswordOf(user), "--no-auth-warning" }.Concat(command))
                start.ArgumentList.Add(argument);
            using var cli = Process.Start(start)!;
            var output = cli.StandardOutput.ReadToEndAsync();
            var error = cli.StandardError.ReadToEndAsync();
            cli.WaitForExit(10_000);
            return output.Result + error.Result;
        }

        public void Dispose()
        {
            if (!_process.HasExited)
            {
                _process.Kill();
                _process.WaitForExit(5000);
            }
            _process.Dispose();
            if (Directory.Exists(_directory))
                Directory.Delete(_directory, recursive: true);
        }

        private static string PasswordOf(string user) => $"test-password-of-{user}";
    }

    [GeneratedRegex(@"#\{\{(\w+)\}\}")]
    private static partial Regex Placeholder();
}
