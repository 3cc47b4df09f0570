using System.Net;
using Disputes.EventBus;
using Disputes.EventBus.Redis;
using Disputes.IntegrationTests.Faults;
using Disputes.Procedure;
using Disputes.ServiceDefaults.Identity;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Disputes.IntegrationTests;

/// <summary>Issue 6, finding 2, on the built process: a poison entry in its stream never takes a service down.</summary>
[Collection(RedisCollection.Name)]
public sealed class PoisonEntryServiceTests(RedisServerFixture redis) : IAsyncLifetime
{
    private const string Topic = "challenge-raised";

    public Task InitializeAsync() => redis.FlushAsync();

    public Task DisposeAsync() => Task.CompletedTask;

    private IDatabase Db => redis.Redis.GetDatabase();

    [Fact]
    public async Task The_records_service_keeps_answering_while_poison_entries_sit_in_its_stream()
    {
        await Db.StreamAddAsync(Topic, "metadata", "{\"rawPayload\":\"true\"}");
        await Db.StreamAddAsync(Topic, RedisStreamFields.Data, "{\"id\":\"x\",\"type\":\"disputes.v1.ChallengeRaised\",\"data\":{\"version\":\"NaN\"}}");
        var factory = new IntegrationEventFactory(Options.Create(new EventBusOptions { AppId = "challenge" }), TimeProvider.System, IntegrationEvents.Catalog);
        await new RedisEventPublisher(redis.Redis).PublishAsync(factory.Create(TestEvents.Raised(1)), CancellationToken.None);
        var last = (await Db.StreamRangeAsync(Topic, messageOrder: Order.Descending, count: 1))[0].Id;

        var (grpcPort, httpPort) = (RedisServerFixture.FreePort(), RedisServerFixture.FreePort());
        // Run from its own build output, so it reads its own appsettings.json, not another service's copied beside the tests.
        var program = ChildProcess.BuildOutputOf("services/records", "Disputes.Records");
        using var records = ChildProcess.Start("dotnet", [program], new Dictionary<string, string>
        {
            ["ASPNETCORE_ENVIRONMENT"] = "Development",
            ["Kestrel__Endpoints__Grpc__Url"] = $"http://127.0.0.1:{grpcPort}",
            ["Kestrel__Endpoints__Http__Url"] = $"http://127.0.0.1:{httpPort}",
            ["ConnectionStrings__redis"] = $"127.0.0.1:{redis.Port}",
            ["Auth__SigningKey"] = DevelopmentTokens.NewSigningKey(),
            ["EventBus__ProcessingTimeout"] = "00:00:02",
            ["EventBus__OutboxSweepInterval"] = "00:00:00.200",
        }, Path.GetDirectoryName(program));
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{httpPort}"), Timeout = TimeSpan.FromSeconds(2) };

        await Eventually.HoldsAsync(async () => await StatusAsync(http, "/health/ready") == HttpStatusCode.OK,
            "the records service is ready", TimeSpan.FromSeconds(60));
        await Eventually.HoldsAsync(async () =>
        {
            var group = (await Db.StreamGroupInfoAsync(Topic)).Single(g => g.Name == "records");
            return group.PendingMessageCount == 0 && group.LastDeliveredId == last;
        }, "every entry is read and acknowledged");
        Assert.Equal(2, await Db.StreamLengthAsync(Topic + "-deadletter"));

        for (var i = 0; i < 10; i++)
        {
            Assert.False(records.HasExited, records.Output);
            Assert.Equal(HttpStatusCode.OK, await StatusAsync(http, "/health/live"));
            Assert.Equal(HttpStatusCode.OK, await StatusAsync(http, "/health/ready"));
            await Task.Delay(300);
        }
    }

    private static async Task<HttpStatusCode?> StatusAsync(HttpClient http, string path)
    {
        try
        {
            using var response = await http.GetAsync(path);
            return response.StatusCode;
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
        {
            return null;
        }
    }
}
