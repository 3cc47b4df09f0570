using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Disputes.IntegrationTests;

/// <summary>
/// An agency's webhook endpoint: Kestrel on a loopback port that verifies every request as the
/// Standard Webhooks specification says (written here from the specification, not from the
/// sender's code) and answers with whatever status the test chooses for each attempt.
/// </summary>
public sealed class WebhookReceiver : IAsyncDisposable
{
    private readonly WebApplication _app;

    public sealed record Received(string Id, long Timestamp, string Body, bool SignatureValid);

    public ConcurrentQueue<Received> Requests { get; } = new();

    /// <summary>The answer to the n-th request (1-based); 200 by default.</summary>
    public Func<int, HttpStatusCode> Respond { get; set; } = _ => HttpStatusCode.OK;

    /// <summary>Held before answering, to catch a sender mid-delivery.</summary>
    public TimeSpan Delay { get; set; }

    public string Secret { get; set; } = "";

    public string Url { get; }

    private int _count;

    private WebhookReceiver(WebApplication app, string url)
    {
        _app = app;
        Url = url;
    }

    public static async Task<WebhookReceiver> StartAsync()
    {
        var port = RedisServerFixture.FreePort();
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        // The test output may hold a service's appsettings.json; the receiver listens only where it is told.
        builder.Configuration.Sources.Clear();
        builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, port));
        var app = builder.Build();
        var receiver = new WebhookReceiver(app, $"http://127.0.0.1:{port}/hooks");
        app.MapPost("/hooks", (Delegate)receiver.HandleAsync);
        await app.StartAsync();
        return receiver;
    }

    public IReadOnlyList<string> UniqueIds => Requests.Select(r => r.Id).Distinct().ToArray();

    private async Task<IResult> HandleAsync(HttpContext context)
    {
        using var reader = new StreamReader(context.Request.Body, Encoding.UTF8);
        var body = await reader.ReadToEndAsync();
        var id = context.Request.Headers["webhook-id"].ToString();
        var timestampText = context.Request.Headers["webhook-timestamp"].ToString();
        var signatures = context.Request.Headers["webhook-signature"].ToString();
        var timestamp = long.TryParse(timestampText, out var t) ? t : 0;
        Requests.Enqueue(new Received(id, timestamp, body, Verify(Secret, id, timestampText, body, signatures)));
        var n = Interlocked.Increment(ref _count);
        if (Delay > TimeSpan.Zero)
            await Task.Delay(Delay, context.RequestAborted);
        return Results.StatusCode((int)Respond(n));
    }

    /// <summary>
    /// The specification's verification: the timestamp within five minutes, and any of the
    /// space-separated "v1,{base64}" signatures equal (in constant time) to HMAC-SHA256 over
    /// "{id}.{timestamp}.{body}" keyed with the base64-decoded secret after "whsec_".
    /// </summary>
    public static bool Verify(string secret, string id, string timestamp, string body, string signatures)
    {
        if (!long.TryParse(timestamp, out var seconds) || Math.Abs(DateTimeOffset.UtcNow.ToUnixTimeSeconds() - seconds) > 300 || !secret.StartsWith("whsec_"))
            return false;
        var expected = HMACSHA256.HashData(Convert.FromBase64String(secret["whsec_".Length..]), Encoding.UTF8.GetBytes($"{id}.{timestamp}.{body}"));
        foreach (var signature in signatures.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            var parts = signature.Split(',', 2);
            if (parts is ["v1", var value] && CryptographicOperations.FixedTimeEquals(expected, Convert.FromBase64String(value)))
                return true;
        }
        return false;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
