using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Google.Api;
using Google.Protobuf.Reflection;

namespace Disputes.EndToEndTests;

/// <summary>
/// Every REST/JSON path the API declares (its google.api.http rules, read from the descriptors,
/// so the test grows with every RPC) reaches the service that transcodes it through the
/// gateway's HTTP/1.1 port: the answer is the service's own JSON status, never the empty 404 of
/// a path no route (or the wrong service) knows.
/// </summary>
[Collection(SuiteCollection.Name)]
public sealed partial class RestRoutesTests(SuiteFixture suite)
{
    public static TheoryData<string, string, string> Rules()
    {
        var data = new TheoryData<string, string, string>();
        foreach (var method in Rpcs.All)
        {
            if (method.GetOptions()?.GetExtension(AnnotationsExtensions.Http) is not { } rule)
                continue;
            foreach (var binding in new[] { rule }.Concat(rule.AdditionalBindings))
            {
                var (verb, template) = VerbAndTemplate(binding);
                data.Add(method.FullName, verb, template);
            }
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Rules))]
    public async Task Each_declared_rest_path_reaches_its_service_through_the_gateway(string method, string verb, string template)
    {
        var path = Concrete(template);
        // A practitioner of an agency party to nothing: commands are refused by the service itself,
        // so the check changes nothing that other tests read. A caller of its own avoids its rate limit.
        var caller = $"rest-{Guid.NewGuid():N}"[..20];
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{suite.GatewayHttpPort}") };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", suite.Token(caller, "rest-routes-agency"));
        using var request = new HttpRequestMessage(new HttpMethod(verb), path);
        if (verb is "POST" or "PATCH" or "PUT")
            request.Content = new StringContent("{}", Encoding.UTF8, "application/json");

        using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        if (response.Content.Headers.ContentType?.MediaType == "text/event-stream" || response.StatusCode == HttpStatusCode.OK)
            return;
        var body = await response.Content.ReadAsStringAsync();

        Assert.NotEqual(HttpStatusCode.TooManyRequests, response.StatusCode);
        Assert.True(body.Length > 0 && IsStatus(body), $"{method}: {verb} {path} answered {(int)response.StatusCode} with \"{body}\"");
    }

    private static bool IsStatus(string body)
    {
        try
        {
            using var json = JsonDocument.Parse(body);
            return json.RootElement.ValueKind == JsonValueKind.Object && json.RootElement.TryGetProperty("code", out _);
        }
        catch (JsonException)
        {
            return false;
        }
    }

    private static (string Verb, string Template) VerbAndTemplate(HttpRule rule) => rule.PatternCase switch
    {
        HttpRule.PatternOneofCase.Get => ("GET", rule.Get),
        HttpRule.PatternOneofCase.Post => ("POST", rule.Post),
        HttpRule.PatternOneofCase.Patch => ("PATCH", rule.Patch),
        HttpRule.PatternOneofCase.Put => ("PUT", rule.Put),
        HttpRule.PatternOneofCase.Delete => ("DELETE", rule.Delete),
        _ => throw new InvalidOperationException($"unexpected HTTP rule {rule}"),
    };

    /// <summary>"/v1/{name=challenges/*/entries/*}:verify" becomes "/v1/challenges/r1/entries/r2:verify".</summary>
    private static string Concrete(string template)
    {
        var n = 0;
        return Variable().Replace(template, match =>
        {
            var pattern = match.Groups["pattern"].Success ? match.Groups["pattern"].Value : "*";
            return string.Join('/', pattern.Split('/').Select(segment => segment is "*" or "**" ? $"r{++n}" : segment));
        });
    }

    [GeneratedRegex(@"\{(?<field>[a-z_.]+)(=(?<pattern>[^}]+))?\}")]
    private static partial Regex Variable();
}
