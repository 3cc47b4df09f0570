using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Grpc.Core;

namespace Disputes.EndToEndTests;

/// <summary>
/// REST callers refused by the gateway itself (no token, a bad one, over a limit) get a JSON
/// google.rpc.Status body, as the services give it, never an empty 401 or 429; and the refusal
/// never names what was asked for.
/// </summary>
[Collection(SuiteCollection.Name)]
public sealed class GatewayRestRefusalsTests(SuiteFixture suite)
{
    private const string Asked = "/v1/challenges/01JD3Q8W6T3V1S0K3Z9Y5X2A7B";

    private HttpClient Http() => new(new SocketsHttpHandler { MaxConnectionsPerServer = 16 })
    {
        BaseAddress = new Uri($"http://127.0.0.1:{suite.GatewayHttpPort}"),
    };

    private static async Task<(HttpStatusCode Status, string? MediaType, JsonElement Body)> GetAsync(HttpClient http, string? token, string clientAddress)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, Asked);
        request.Headers.Add("X-Forwarded-For", clientAddress);
        if (token is not null)
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        using var response = await http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        Assert.False(string.IsNullOrEmpty(text), $"{(int)response.StatusCode} with an empty body");
        return (response.StatusCode, response.Content.Headers.ContentType?.MediaType, JsonDocument.Parse(text).RootElement.Clone());
    }

    private static void AssertStatus(JsonElement body, StatusCode code)
    {
        Assert.Equal((int)code, body.GetProperty("code").GetInt32());
        Assert.False(string.IsNullOrWhiteSpace(body.GetProperty("message").GetString()));
        Assert.Equal(JsonValueKind.Array, body.GetProperty("details").ValueKind);
        Assert.DoesNotContain("01JD3Q8W6T3V1S0K3Z9Y5X2A7B", body.GetRawText(), StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(BadTokens))]
    public async Task A_REST_call_without_a_good_token_gets_401_with_a_JSON_status(string kind)
    {
        using var http = Http();

        var (status, mediaType, body) = await GetAsync(http, AbuseTokens.Token(suite.Auth, kind), "192.0.2.61");

        Assert.Equal(HttpStatusCode.Unauthorized, status);
        Assert.Equal("application/json", mediaType);
        AssertStatus(body, StatusCode.Unauthenticated);
    }

    public static TheoryData<string> BadTokens()
    {
        var data = new TheoryData<string>();
        foreach (var kind in AbuseTokens.Kinds)
            data.Add(kind);
        return data;
    }

    [Fact]
    public async Task A_REST_caller_over_its_own_limit_gets_429_with_a_JSON_status()
    {
        using var http = Http();
        var token = suite.Token("rest-flood-1", "police-rest-flood-test");

        // Past the professional's bucket (60 in the suite), well inside the address's (600).
        var answers = await Task.WhenAll(Enumerable.Range(0, 150).Select(_ => GetAsync(http, token, "192.0.2.62")));

        Assert.All(answers, a => Assert.True(a.Status is HttpStatusCode.NotFound or HttpStatusCode.TooManyRequests, $"unexpected {a.Status}"));
        var limited = answers.First(a => a.Status == HttpStatusCode.TooManyRequests);
        Assert.Equal("application/json", limited.MediaType);
        AssertStatus(limited.Body, StatusCode.ResourceExhausted);
    }
}
