using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Disputes.EndToEndTests;

/// <summary>
/// REST/JSON answers through the gateway follow the proto3 JSON mapping: 64-bit integers as
/// strings (JavaScript loses precision past 2^53 otherwise), enums by name, timestamps in RFC 3339.
/// </summary>
[Collection(SuiteCollection.Name)]
public sealed partial class ProtoJsonMappingTests(SuiteFixture suite)
{
    [Fact]
    public async Task A_challenge_read_over_REST_has_its_int64_version_as_a_string_enums_by_name_and_RFC_3339_times()
    {
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{suite.GatewayHttpPort}") };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", suite.Token("hv-json", "health"));
        using var raised = await http.PostAsJsonAsync("/v1/challenges", new
        {
            raisingParty = new { role = "health visitor" },
            receivingParty = new { agencyId = "childrens-social-care" },
            child = new { reference = "child-ref-json" },
            category = "CATEGORY_NEED_FOR_ACTION",
            subject = "No response to the referral of last month.",
            unsafePracticeReason = "Bruising was seen at two visits.",
            desiredChange = "A strategy discussion this week.",
            impactOnChild = "The child may be harmed again.",
        });
        Assert.True(raised.StatusCode == HttpStatusCode.OK, await raised.Content.ReadAsStringAsync());
        var name = (await raised.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("name").GetString()!;

        var challenge = await http.GetFromJsonAsync<JsonElement>($"/v1/{name}");

        AssertInt64(challenge.GetProperty("version"), 1);
        Assert.Equal("STAGE_PROFESSIONAL_DISCUSSION", challenge.GetProperty("stage").GetString());
        Assert.Equal("CATEGORY_NEED_FOR_ACTION", challenge.GetProperty("category").GetString());
        AssertTimestamp(challenge.GetProperty("createTime"));
        AssertTimestamp(challenge.GetProperty("updateTime"));
        var raise = challenge.GetProperty("history")[0];
        AssertInt64(raise.GetProperty("version"), 1);
        AssertTimestamp(raise.GetProperty("changeTime"));
        Assert.Equal("CHALLENGE_STATE_AWAITING_ACKNOWLEDGEMENT", raise.GetProperty("state").GetString());
    }

    private static void AssertInt64(JsonElement value, long expected)
    {
        Assert.Equal(JsonValueKind.String, value.ValueKind);
        Assert.Equal(expected, long.Parse(value.GetString()!, System.Globalization.CultureInfo.InvariantCulture));
    }

    private static void AssertTimestamp(JsonElement value)
    {
        Assert.Equal(JsonValueKind.String, value.ValueKind);
        Assert.Matches(Rfc3339Utc(), value.GetString()!);
    }

    // Protobuf's JSON form of a Timestamp: UTC, "Z", 0, 3, 6 or 9 fractional digits.
    [GeneratedRegex(@"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{3}|\.\d{6}|\.\d{9})?Z$")]
    private static partial Regex Rfc3339Utc();
}
