using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Dapr.Client;
using Dapr.Client.Autogen.Grpc.v1;
using Disputes.EventBus;
using Disputes.EventBus.Dapr;
using Disputes.Procedure;
using Disputes.V1.Events;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Grpc.Net.Client;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Disputes.UnitTests;

/// <summary>The Dapr adapter at its protocol edges: what the sidecar sends and what it reads back.</summary>
public class DaprTransportTests
{
    private const string TraceParent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";

    [Fact]
    public async Task The_subscription_list_names_each_topic_its_route_and_its_dead_letter_topic()
    {
        await using var app = await SubscriberAsync(failures: 0);

        using var json = JsonDocument.Parse(await app.GetTestClient().GetStringAsync("/dapr/subscribe"));

        var subscription = Assert.Single(json.RootElement.EnumerateArray());
        Assert.Equal("pubsub", subscription.GetProperty("pubsubname").GetString());
        Assert.Equal("challenge-raised", subscription.GetProperty("topic").GetString());
        Assert.Equal("/dapr/events/challenge-raised", subscription.GetProperty("route").GetString());
        Assert.Equal("challenge-raised-deadletter", subscription.GetProperty("deadLetterTopic").GetString());
    }

    [Fact]
    public async Task A_handled_event_is_answered_SUCCESS_and_a_redelivery_is_not_handled_again()
    {
        await using var app = await SubscriberAsync(failures: 0);
        var cloudEvent = CloudEvent(app);

        Assert.Equal("SUCCESS", await PostAsync(app, "challenge-raised", cloudEvent));
        Assert.Equal("SUCCESS", await PostAsync(app, "challenge-raised", cloudEvent));

        Assert.Single(app.Services.GetRequiredService<InMemoryEventBusTests.RecordingHandler>().Handled);
    }

    [Fact]
    public async Task A_failing_handler_is_answered_RETRY_so_the_sidecar_redelivers()
    {
        await using var app = await SubscriberAsync(failures: 1);
        var cloudEvent = CloudEvent(app);

        Assert.Equal("RETRY", await PostAsync(app, "challenge-raised", cloudEvent));
        Assert.Equal("SUCCESS", await PostAsync(app, "challenge-raised", cloudEvent));
    }

    [Theory]
    [InlineData("not a cloud event")]
    [InlineData("{\"id\":\"1\",\"type\":\"disputes.v1.Unknown\",\"data\":{}}")]
    [InlineData("{\"id\":\"1\",\"type\":\"disputes.v1.ChallengeRaised\",\"data\":{\"version\":\"not a number\"}}")]
    public async Task What_can_never_be_handled_is_answered_DROP(string body)
    {
        await using var app = await SubscriberAsync(failures: 0);
        Assert.Equal("DROP", await PostAsync(app, "challenge-raised", body));
    }

    [Fact]
    public async Task With_an_app_token_only_a_caller_presenting_it_may_deliver_events()
    {
        await using var app = await SubscriberAsync(failures: 0, appApiToken: "sidecar-secret");
        var client = app.GetTestClient();

        using var anonymous = new StringContent(CloudEvent(app), Encoding.UTF8, "application/cloudevents+json");
        using var refused = await client.PostAsync("/dapr/events/challenge-raised", anonymous);
        Assert.Equal(System.Net.HttpStatusCode.Unauthorized, refused.StatusCode);
        Assert.Empty(app.Services.GetRequiredService<InMemoryEventBusTests.RecordingHandler>().Handled);

        client.DefaultRequestHeaders.Add(DaprSubscriptionEndpoints.AppApiTokenHeader, "sidecar-secret");
        Assert.Equal("SUCCESS", await PostAsync(client, "challenge-raised", CloudEvent(app)));
        Assert.Single(app.Services.GetRequiredService<InMemoryEventBusTests.RecordingHandler>().Handled);
    }

    [Theory]
    [InlineData("Production")]
    [InlineData("Staging")]
    public async Task Without_an_app_token_outside_Development_every_call_is_refused(string environment)
    {
        await using var app = await SubscriberAsync(failures: 0, appApiToken: null, environment: environment);
        var client = app.GetTestClient();

        using var subscribe = await client.GetAsync("/dapr/subscribe");
        Assert.Equal(System.Net.HttpStatusCode.Unauthorized, subscribe.StatusCode);
        using var anonymous = new StringContent(CloudEvent(app), Encoding.UTF8, "application/cloudevents+json");
        using var delivery = await client.PostAsync("/dapr/events/challenge-raised", anonymous);
        Assert.Equal(System.Net.HttpStatusCode.Unauthorized, delivery.StatusCode);
        client.DefaultRequestHeaders.Add(DaprSubscriptionEndpoints.AppApiTokenHeader, "");
        using var emptyToken = new StringContent(CloudEvent(app), Encoding.UTF8, "application/cloudevents+json");
        using var withEmpty = await client.PostAsync("/dapr/events/challenge-raised", emptyToken);
        Assert.Equal(System.Net.HttpStatusCode.Unauthorized, withEmpty.StatusCode);
        Assert.Empty(app.Services.GetRequiredService<InMemoryEventBusTests.RecordingHandler>().Handled);
    }

    [Fact]
    public async Task Publishing_hands_the_sidecar_our_CloudEvent_with_the_proto_type()
    {
        var sidecar = new FakeSidecar();
        await using var server = await SidecarAsync(sidecar);
        using var dapr = new DaprClientBuilder()
            .UseGrpcEndpoint("http://localhost")
            .UseGrpcChannelOptions(new GrpcChannelOptions { HttpHandler = server.GetTestServer().CreateHandler() })
            .Build();
        var envelope = new EventEnvelope("evt-1", "challenge", "disputes.v1.ChallengeRaised", "challenge-raised", "pubsub",
            DateTimeOffset.UnixEpoch, "{\"challenge\":\"challenges/01JD0000000000000000000000\"}", TraceParent);

        await new DaprEventPublisher(dapr).PublishAsync(envelope, CancellationToken.None);

        var request = Assert.Single(sidecar.Requests);
        Assert.Equal("pubsub", request.PubsubName);
        Assert.Equal("challenge-raised", request.Topic);
        Assert.Equal("application/cloudevents+json", request.DataContentType);
        using var json = JsonDocument.Parse(request.Data.ToStringUtf8());
        Assert.Equal("disputes.v1.ChallengeRaised", json.RootElement.GetProperty("type").GetString());
        Assert.Equal("evt-1", json.RootElement.GetProperty("id").GetString());
        Assert.Equal(TraceParent, json.RootElement.GetProperty("traceparent").GetString());
    }

    private static string CloudEvent(WebApplication app) =>
        (app.Services.GetRequiredService<IntegrationEventFactory>().Create(TestEvents.Raised()) with { TraceParent = TraceParent })
            .ToCloudEventJson();

    private static Task<string?> PostAsync(WebApplication app, string topic, string body) => PostAsync(app.GetTestClient(), topic, body);

    private static async Task<string?> PostAsync(HttpClient client, string topic, string body)
    {
        using var content = new StringContent(body, Encoding.UTF8, "application/cloudevents+json");
        using var response = await client.PostAsync($"/dapr/events/{topic}", content);
        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("status").GetString();
    }

    private static async Task<WebApplication> SubscriberAsync(int failures, string? appApiToken = null, string environment = "Development")
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { EnvironmentName = environment });
        // The test registers its handler instance beside the bus's scoped registration; Development would refuse that.
        builder.Host.UseDefaultServiceProvider(provider => { provider.ValidateOnBuild = false; provider.ValidateScopes = false; });
        builder.WebHost.UseTestServer();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["EventBus:AppId"] = "records",
            ["EventBus:Transport"] = "Dapr",
            [DaprSubscriptionEndpoints.AppApiTokenVariable] = appApiToken,
        });
        builder.Services.AddRouting();
        builder.Services.AddInMemoryEventBus(builder.Configuration, IntegrationEvents.Catalog);
        builder.Services.AddEventHandler<ChallengeRaised, InMemoryEventBusTests.RecordingHandler>();
        builder.Services.AddSingleton(new InMemoryEventBusTests.RecordingHandler(failures));
        var app = builder.Build();
        app.MapDaprSubscriptions();
        await app.StartAsync();
        return app;
    }

    private static async Task<WebApplication> SidecarAsync(FakeSidecar sidecar)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseTestServer();
        builder.Services.AddGrpc();
        builder.Services.AddSingleton(sidecar);
        var app = builder.Build();
        app.MapGrpcService<FakeSidecar>();
        await app.StartAsync();
        return app;
    }

    /// <summary>
    /// The sidecar's gRPC PublishEvent (dapr.proto.runtime.v1.Dapr), recording what the app sends.
    /// Dapr.Protos ships the client only, so the method is bound by hand from its contract.
    /// </summary>
    [BindServiceMethod(typeof(FakeSidecar), nameof(BindService))]
    public class FakeSidecar
    {
        private static readonly Method<PublishEventRequest, Empty> PublishEventMethod = new(
            MethodType.Unary, "dapr.proto.runtime.v1.Dapr", "PublishEvent",
            Marshallers.Create(r => r.ToByteArray(), PublishEventRequest.Parser.ParseFrom),
            Marshallers.Create(r => r.ToByteArray(), Empty.Parser.ParseFrom));

        public List<PublishEventRequest> Requests { get; } = [];

        // grpc-dotnet binds by name to a virtual method declared on the bound type, called on the instance from DI.
        public static void BindService(ServiceBinderBase binder, FakeSidecar? service) =>
            binder.AddMethod(PublishEventMethod, service is null ? null : service.PublishEvent);

        public virtual Task<Empty> PublishEvent(PublishEventRequest request, ServerCallContext context)
        {
            Requests.Add(request);
            return Task.FromResult(new Empty());
        }
    }
}
