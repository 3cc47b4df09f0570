using Disputes.Procedure;
using Disputes.V1;
using Google.Protobuf;
using Google.Protobuf.Reflection;
using Grpc.Core;
using Grpc.Health.V1;
using Grpc.Net.Client;
using Grpc.Reflection.V1;
using static Grpc.Health.V1.HealthCheckResponse.Types;

namespace Disputes.EndToEndTests;

/// <summary>
/// What callers' tools expect of the gateway's gRPC port: the health protocol (grpc_health_probe,
/// Kubernetes gRPC probes) and reflection (grpcurl list / describe) for all four services.
/// </summary>
[Collection(SuiteCollection.Name)]
public sealed class GatewayGrpcTests(SuiteFixture suite)
{
    private static readonly string[] Services =
        ["disputes.v1.ChallengeService", "disputes.v1.EscalationService", "disputes.v1.NotificationService", "disputes.v1.RecordsService"];

    private readonly Health.HealthClient _health = new(suite.Gateway);

    [Fact]
    public async Task Reflection_through_the_gateway_lists_all_four_services_and_health()
    {
        var listed = await ReflectAsync(suite.Gateway, new ServerReflectionRequest { ListServices = "" });

        var names = listed.ListServicesResponse.Service.Select(s => s.Name).ToList();
        Assert.All(Services, service => Assert.Contains(service, names));
        Assert.Contains("grpc.health.v1.Health", names);
        Assert.Contains("grpc.reflection.v1.ServerReflection", names);
    }

    [Fact]
    public async Task Reflection_through_the_gateway_describes_a_service_and_a_message_of_every_backend()
    {
        foreach (var service in Services)
        {
            var files = await FilesContainingAsync(suite.Gateway, service);
            var declared = files.Single(f => f.Service.Any(s => $"{f.Package}.{s.Name}" == service));
            Assert.NotEmpty(declared.Service.Single(s => $"{declared.Package}.{s.Name}" == service).Method);
        }

        // What `grpcurl describe disputes.v1.Challenge` asks: the file declaring it, with the files it imports.
        var challenge = await FilesContainingAsync(suite.Gateway, "disputes.v1.Challenge");
        var file = challenge.Single(f => f.MessageType.Any(m => m.Name == "Challenge"));
        var version = file.MessageType.Single(m => m.Name == "Challenge").Field.Single(f => f.Name == "version");
        Assert.Equal(FieldDescriptorProto.Types.Type.Int64, version.Type);
        Assert.All(file.Dependency, dependency => Assert.Contains(challenge, f => f.Name == dependency));

        var unknown = await ReflectAsync(suite.Gateway, new ServerReflectionRequest { FileContainingSymbol = "disputes.v1.NoSuchThing" });
        Assert.Equal((int)StatusCode.NotFound, unknown.ErrorResponse.ErrorCode);
    }

    [Fact]
    public async Task The_older_v1alpha_reflection_grpcurl_falls_back_to_is_served_too()
    {
        var client = new Grpc.Reflection.V1Alpha.ServerReflection.ServerReflectionClient(suite.Gateway);
        using var call = client.ServerReflectionInfo();
        await call.RequestStream.WriteAsync(new Grpc.Reflection.V1Alpha.ServerReflectionRequest { ListServices = "" });
        await call.RequestStream.CompleteAsync();
        Assert.True(await call.ResponseStream.MoveNext(CancellationToken.None));
        Assert.All(Services, service => Assert.Contains(call.ResponseStream.Current.ListServicesResponse.Service, s => s.Name == service));
    }

    [Theory]
    [InlineData("challenge", "disputes.v1.ChallengeService")]
    [InlineData("escalation", "disputes.v1.EscalationService")]
    [InlineData("notification", "disputes.v1.NotificationService")]
    [InlineData("records", "disputes.v1.RecordsService")]
    public async Task Each_service_answers_health_and_reflection_itself(string process, string service)
    {
        using var channel = GrpcChannel.ForAddress($"http://127.0.0.1:{suite.GrpcPortOf(process)}");

        Assert.Equal(ServingStatus.Serving, (await new Health.HealthClient(channel).CheckAsync(new HealthCheckRequest())).Status);
        var listed = await ReflectAsync(channel, new ServerReflectionRequest { ListServices = "" });
        Assert.Contains(listed.ListServicesResponse.Service, s => s.Name == service);
        Assert.NotEmpty(await FilesContainingAsync(channel, service));
    }

    [Fact]
    public async Task The_gateway_answers_health_for_itself_and_for_each_backend_without_a_token()
    {
        Assert.Equal(ServingStatus.Serving, (await _health.CheckAsync(new HealthCheckRequest())).Status);
        foreach (var service in Services)
            Assert.Equal(ServingStatus.Serving, await UntilStatusAsync(service, ServingStatus.Serving));

        var unknown = await Assert.ThrowsAsync<RpcException>(() => _health.CheckAsync(new HealthCheckRequest { Service = "disputes.v1.NoSuchService" }).ResponseAsync);
        Assert.Equal(StatusCode.NotFound, unknown.StatusCode);
    }

    [Fact]
    public async Task A_stopped_backend_is_NOT_SERVING_by_name_while_the_gateway_stays_SERVING_and_Watch_follows_it()
    {
        const string records = "disputes.v1.RecordsService";
        Assert.Equal(ServingStatus.Serving, await UntilStatusAsync(records, ServingStatus.Serving));
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        using var watch = _health.Watch(new HealthCheckRequest { Service = records }, cancellationToken: timeout.Token);
        Assert.Equal(ServingStatus.Serving, await NextAsync(watch, timeout.Token));

        await suite.CrashAndRestartAsync("records", async () =>
        {
            Assert.Equal(ServingStatus.NotServing, await NextAsync(watch, timeout.Token));
            Assert.Equal(ServingStatus.NotServing, (await _health.CheckAsync(new HealthCheckRequest { Service = records })).Status);
            // The gateway itself, and the backends still running, stay in service.
            Assert.Equal(ServingStatus.Serving, (await _health.CheckAsync(new HealthCheckRequest())).Status);
            Assert.Equal(ServingStatus.Serving, (await _health.CheckAsync(new HealthCheckRequest { Service = "disputes.v1.ChallengeService" })).Status);
        });

        Assert.Equal(ServingStatus.Serving, await NextAsync(watch, timeout.Token));
    }

    [Fact]
    public async Task Watchers_closing_their_streams_keep_the_notification_backend_in_service()
    {
        const string notifications = "disputes.v1.NotificationService";
        Assert.Equal(ServingStatus.Serving, await UntilStatusAsync(notifications, ServingStatus.Serving));
        var client = new NotificationService.NotificationServiceClient(suite.Gateway);
        var abuse = new AbuseTests(suite);

        // Each watcher leaves after half a second (no deadline: the caller closes the stream), as a
        // dashboard that is shut does; forty of them are far over the failure rate a backend may have.
        await Task.WhenAll(Enumerable.Range(0, 40).Select(async i =>
        {
            using var leave = new CancellationTokenSource(TimeSpan.FromMilliseconds(500));
            var headers = abuse.Headers(new Who("a watcher", $"pc-watcher-{i}", AbuseSeed.RaisingAgency, DisputeRoles.Practitioner), $"198.19.1.{1 + i % 8}");
            using var watch = client.WatchNotifications(new WatchNotificationsRequest { Parent = $"agencies/{AbuseSeed.RaisingAgency}" }, headers, cancellationToken: leave.Token);
            var ended = await Assert.ThrowsAsync<RpcException>(async () =>
            {
                while (await watch.ResponseStream.MoveNext(leave.Token)) { }
            });
            Assert.Equal(StatusCode.Cancelled, ended.StatusCode);
        }));

        // The gateway's health report catches up within a second.
        await Task.Delay(TimeSpan.FromSeconds(2));
        Assert.Equal(ServingStatus.Serving, (await _health.CheckAsync(new HealthCheckRequest { Service = notifications })).Status);
    }

    private static async Task<ServingStatus> NextAsync(AsyncServerStreamingCall<HealthCheckResponse> watch, CancellationToken cancel)
    {
        Assert.True(await watch.ResponseStream.MoveNext(cancel), "the Watch stream ended");
        return watch.ResponseStream.Current.Status;
    }

    /// <summary>The gateway probes its backends every second (in this suite); a freshly (re)started one needs a probe.</summary>
    private async Task<ServingStatus> UntilStatusAsync(string service, ServingStatus wanted)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            var status = (await _health.CheckAsync(new HealthCheckRequest { Service = service })).Status;
            if (status == wanted || DateTime.UtcNow > deadline)
                return status;
            await Task.Delay(200);
        }
    }

    private static async Task<ServerReflectionResponse> ReflectAsync(GrpcChannel channel, ServerReflectionRequest request)
    {
        using var call = new ServerReflection.ServerReflectionClient(channel).ServerReflectionInfo();
        await call.RequestStream.WriteAsync(request);
        await call.RequestStream.CompleteAsync();
        Assert.True(await call.ResponseStream.MoveNext(CancellationToken.None));
        return call.ResponseStream.Current;
    }

    /// <summary>The file declaring a symbol, then every file it imports, by name, as grpcurl resolves them.</summary>
    private static async Task<List<FileDescriptorProto>> FilesContainingAsync(GrpcChannel channel, string symbol)
    {
        var response = await ReflectAsync(channel, new ServerReflectionRequest { FileContainingSymbol = symbol });
        Assert.Equal(ServerReflectionResponse.MessageResponseOneofCase.FileDescriptorResponse, response.MessageResponseCase);
        var files = response.FileDescriptorResponse.FileDescriptorProto.Select(FileDescriptorProto.Parser.ParseFrom).ToList();
        var missing = new Queue<string>(files.SelectMany(f => f.Dependency));
        while (missing.TryDequeue(out var name))
        {
            if (files.Any(f => f.Name == name))
                continue;
            var imported = await ReflectAsync(channel, new ServerReflectionRequest { FileByFilename = name });
            Assert.Equal(ServerReflectionResponse.MessageResponseOneofCase.FileDescriptorResponse, imported.MessageResponseCase);
            foreach (var file in imported.FileDescriptorResponse.FileDescriptorProto.Select(FileDescriptorProto.Parser.ParseFrom))
            {
                files.Add(file);
                foreach (var dependency in file.Dependency)
                    missing.Enqueue(dependency);
            }
        }
        return files;
    }
}
