using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Disputes.V1;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;

namespace Disputes.EndToEndTests;

/// <summary>Floods and oversized messages: limited at the gateway and at every service, answered, never a crash.</summary>
[Collection(SuiteCollection.Name)]
public sealed class LimitTests(SuiteFixture suite)
{
    private const int Limit = 1024 * 1024;

    [Theory]
    [InlineData("no token", "192.0.2.10")]
    [InlineData("wrong signature", "192.0.2.11")]
    [InlineData("expired", "192.0.2.12")]
    public async Task A_flood_without_a_valid_token_is_limited_per_address_before_authentication(string token, string address)
    {
        var list = Rpcs.Named("ListChallenges");
        var request = new ListChallengesRequest { PageSize = 1 }.ToByteArray();

        var outcomes = await Task.WhenAll(Enumerable.Range(0, 1500).Select(_ =>
            Rpcs.CallAsync(suite.Gateway, list, request, AbuseTokens.Headers(suite, token, address))));

        var statuses = outcomes.Select(o => o.Status).ToList();
        Assert.Contains(StatusCode.ResourceExhausted, statuses);
        Assert.Contains(StatusCode.Unauthenticated, statuses);
        Assert.All(statuses, s => Assert.True(s is StatusCode.Unauthenticated or StatusCode.ResourceExhausted, $"unexpected {s}"));

        // Another address, and the same professional's honest calls, are served meanwhile.
        var other = await Rpcs.CallAsync(suite.Gateway, list, request, new AbuseTests(suite).Headers(AbuseTests.AnotherAgency, "192.0.2.99"));
        Assert.Equal(StatusCode.OK, other.Status);
    }

    [Fact]
    public async Task A_REST_flood_without_a_token_gets_429_with_a_JSON_status()
    {
        using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 32 })
        {
            BaseAddress = new Uri($"http://127.0.0.1:{suite.GatewayHttpPort}"),
        };

        var responses = await Task.WhenAll(Enumerable.Range(0, 1500).Select(async _ =>
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "/v1/challenges");
            request.Headers.Add("X-Forwarded-For", "192.0.2.20");
            using var response = await http.SendAsync(request);
            return (response.StatusCode, Body: await response.Content.ReadAsStringAsync());
        }));

        Assert.Contains(responses, r => r.StatusCode == HttpStatusCode.TooManyRequests);
        Assert.All(responses, r => Assert.True(r.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.TooManyRequests, $"unexpected {r.StatusCode}"));
        var limited = JsonDocument.Parse(responses.First(r => r.StatusCode == HttpStatusCode.TooManyRequests).Body).RootElement;
        Assert.Equal((int)StatusCode.ResourceExhausted, limited.GetProperty("code").GetInt32());
        var refused = JsonDocument.Parse(responses.First(r => r.StatusCode == HttpStatusCode.Unauthorized).Body).RootElement;
        Assert.Equal((int)StatusCode.Unauthenticated, refused.GetProperty("code").GetInt32());
    }

    [Fact]
    public async Task A_caller_cannot_pick_a_fresh_bucket_by_prepending_addresses_to_X_Forwarded_For()
    {
        // The suite's gateway trusts the test process as its ingress (see SuiteFixture); an ingress
        // appends the address it saw, so only that last hop counts, whatever the caller wrote before it.
        var list = Rpcs.Named("ListChallenges");
        var outcomes = await Task.WhenAll(Enumerable.Range(0, 1500).Select(i =>
            // Several addresses in one header: only the last hop, written by the trusted ingress, counts.
            Rpcs.CallAsync(suite.Gateway, list, [], new Metadata { { "x-forwarded-for", $"203.0.113.{i % 250}, 192.0.2.30" } })));
        Assert.Contains(outcomes, o => o.Status == StatusCode.ResourceExhausted);
    }

    [Fact]
    public async Task A_message_over_1_MiB_is_refused_at_the_gateway_with_RESOURCE_EXHAUSTED_and_raises_nothing()
    {
        var caller = new AbuseTests(suite).Headers(new Who("big", "big-2", "police-size-limit", "practitioner"), "192.0.2.40");
        var request = DisputeLifecycleTests.NewRaise();
        request.Challenge.Subject = new string('x', Limit);

        var refused = await Rpcs.CallAsync(suite.Gateway, "RaiseChallenge", request, caller);

        Assert.Equal(StatusCode.ResourceExhausted, refused.Status);
        Assert.Contains($"larger than {Limit} bytes", refused.Detail);
        var listed = await Rpcs.CallAsync(suite.Gateway, "ListChallenges", new ListChallengesRequest(), caller);
        Assert.Empty(listed.Parse(ListChallengesResponse.Parser).Challenges);
    }

    [Fact]
    public async Task Every_RPC_refuses_an_oversized_message_and_a_message_under_the_limit_passes_the_transport()
    {
        var caller = new AbuseTests(suite).Headers(new Who("big", "big-3", "police-size-limit", "practitioner"), "192.0.2.41");
        var oversized = await Task.WhenAll(Rpcs.All.Select(async method =>
            (method.FullName, Outcome: await Rpcs.CallAsync(suite.Gateway, method, WithUnknownField(Limit + 1), caller))));
        var wrong = oversized.Where(o => o.Outcome.Status != StatusCode.ResourceExhausted).Select(o => $"{o.FullName}: {o.Outcome.Status}").ToList();
        Assert.True(wrong.Count == 0, string.Join('\n', wrong));

        var under = await Rpcs.CallAsync(suite.Gateway, Rpcs.Named("ListChallenges"), WithUnknownField(Limit - 64), caller);
        Assert.Equal(StatusCode.OK, under.Status);
    }

    [Fact]
    public async Task A_gRPC_call_under_the_limit_passes_the_gateway_without_a_warning_in_its_log()
    {
        var caller = new AbuseTests(suite).Headers(new Who("quiet", "quiet-1", "police-size-limit", "practitioner"), "192.0.2.43");

        var listed = await Rpcs.CallAsync(suite.Gateway, Rpcs.Named("ListChallenges"), new ListChallengesRequest { PageSize = 1 }.ToByteArray(), caller);

        Assert.Equal(StatusCode.OK, listed.Status);
        // The proxy tried to lift the whole-body limit after the gateway had read the message prefix,
        // and warned on every gRPC call that it could not.
        Assert.DoesNotContain("Unable to disable max request body size", suite.OutputOf("gateway"));
    }

    [Theory]
    [InlineData("challenge")]
    [InlineData("escalation")]
    [InlineData("notification")]
    [InlineData("records")]
    public async Task Each_service_refuses_a_message_over_1_MiB_itself(string service)
    {
        using var direct = GrpcChannel.ForAddress($"http://127.0.0.1:{suite.GrpcPortOf(service)}",
            new GrpcChannelOptions { MaxSendMessageSize = null });
        var method = Rpcs.Services.Single(s => s.Name.Equals(service + "Service", StringComparison.OrdinalIgnoreCase)).Methods[0];
        var caller = new AbuseTests(suite).Headers(new Who("big", "big-4", "police-size-limit", "practitioner"), "192.0.2.42");

        var refused = await Rpcs.CallAsync(direct, method, WithUnknownField(Limit + 1), caller);

        Assert.Equal(StatusCode.ResourceExhausted, refused.Status);
        Assert.Empty(suite.ExitedProcesses());
    }

    [Fact]
    public async Task A_REST_body_over_1_MiB_is_refused_with_413_at_the_gateway_and_at_the_service()
    {
        var token = suite.Token("big-5", "police-size-limit");
        var body = JsonSerializer.Serialize(new { subject = new string('x', Limit), raisingParty = new { role = "x" } });
        foreach (var port in new[] { suite.GatewayHttpPort, suite.HttpPortOf("challenge") })
        {
            using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
            // As a well-behaved client sending a large body does: the refusal comes before the body is sent.
            http.DefaultRequestHeaders.ExpectContinue = true;
            using var response = await http.PostAsync("/v1/challenges", new StringContent(body, Encoding.UTF8, "application/json"));
            Assert.True(response.StatusCode == HttpStatusCode.RequestEntityTooLarge, $"{(port == suite.GatewayHttpPort ? "gateway" : "challenge")}: {response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        }

        // Without a length up front (chunked), the gateway still answers 413 with a JSON status.
        using var chunked = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{suite.GatewayHttpPort}") };
        chunked.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        chunked.DefaultRequestHeaders.ExpectContinue = true;
        var content = new StreamContent(new MemoryStream(Encoding.UTF8.GetBytes(body)));
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        using var streamed = new HttpRequestMessage(HttpMethod.Post, "/v1/challenges") { Content = content };
        streamed.Headers.TransferEncodingChunked = true;
        using var refused = await chunked.SendAsync(streamed);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, refused.StatusCode);
        Assert.Equal((int)StatusCode.ResourceExhausted, JsonDocument.Parse(await refused.Content.ReadAsStringAsync()).RootElement.GetProperty("code").GetInt32());
    }

    /// <summary>A message of nothing but one unknown length-delimited field (number 1000) making it <paramref name="size"/> bytes or more.</summary>
    internal static byte[] WithUnknownField(int size)
    {
        using var stream = new MemoryStream();
        var output = new CodedOutputStream(stream);
        output.WriteTag(1000, WireFormat.WireType.LengthDelimited);
        output.WriteBytes(ByteString.CopyFrom(new byte[size]));
        output.Flush();
        return stream.ToArray();
    }
}
