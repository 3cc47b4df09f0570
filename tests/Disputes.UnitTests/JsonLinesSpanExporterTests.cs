using System.Diagnostics;
using System.Text.Json;
using Disputes.EventBus;
using Disputes.ServiceDefaults.Telemetry;
using OpenTelemetry;
using OpenTelemetry.Trace;

namespace Disputes.UnitTests;

/// <summary>The local spans file: one JSON object a line, with ids, times, status and the dispute, and nothing outside the allowlist.</summary>
public sealed class JsonLinesSpanExporterTests : IDisposable
{
    private static readonly ActivitySource Source = new("Disputes.UnitTests.Spans");
    private readonly string _directory = Path.Combine(Path.GetTempPath(), $"disputes-spans-{Guid.NewGuid():N}");

    public void Dispose()
    {
        if (Directory.Exists(_directory))
            Directory.Delete(_directory, recursive: true);
    }

    [Fact]
    public void Each_finished_span_is_one_line_with_its_ids_times_status_dispute_and_safe_attributes_only()
    {
        var file = JsonLinesSpanExporter.FileFor(_directory, "Disputes.Challenge");
        Assert.Equal($"Disputes.Challenge-{Environment.ProcessId}.jsonl", Path.GetFileName(file));
        string traceId, parentId, childId;
        using (var provider = Sdk.CreateTracerProviderBuilder()
            .AddSource(Source.Name)
            .AddProcessor(new SimpleActivityExportProcessor(new JsonLinesSpanExporter(file, "Disputes.Challenge")))
            .Build())
        {
            using (var parent = Source.StartActivity("RaiseChallenge", ActivityKind.Server)!)
            {
                parent.SetTag(EventBusTelemetry.DisputeIdTag, "01JD0000000000000000000001");
                parent.SetTag("rpc.method", "RaiseChallenge");
                parent.SetTag("rpc.grpc.status_code", 0);
                // Never written: a narrative, a message body, an exception's text.
                parent.SetTag("disputes.subject", "The case was closed after a single home visit.");
                parent.SetTag("exception.message", "Neglect was reported again.");
                using var child = Source.StartActivity("publish challenge-raised", ActivityKind.Producer)!;
                child.SetTag("messaging.destination.name", "challenge-raised");
                child.SetStatus(ActivityStatusCode.Error, "Neglect was reported again.");
                traceId = parent.TraceId.ToHexString();
                parentId = parent.SpanId.ToHexString();
                childId = child.SpanId.ToHexString();
            }
        }

        var text = File.ReadAllText(file);
        Assert.DoesNotContain("home visit", text);
        Assert.DoesNotContain("Neglect", text);
        var lines = text.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(2, lines.Length);
        using var childLine = JsonDocument.Parse(lines[0]);
        using var parentLine = JsonDocument.Parse(lines[1]);

        var p = parentLine.RootElement;
        Assert.Equal(traceId, p.GetProperty("traceId").GetString());
        Assert.Equal(parentId, p.GetProperty("spanId").GetString());
        Assert.False(p.TryGetProperty("parentSpanId", out _));
        Assert.Equal("RaiseChallenge", p.GetProperty("name").GetString());
        Assert.Equal("Disputes.Challenge", p.GetProperty("service").GetString());
        Assert.Equal("Server", p.GetProperty("kind").GetString());
        Assert.True(DateTimeOffset.UtcNow - p.GetProperty("start").GetDateTimeOffset() < TimeSpan.FromMinutes(1));
        Assert.True(p.GetProperty("durationMs").GetDouble() >= 0);
        Assert.Equal("Unset", p.GetProperty("status").GetString());
        Assert.Equal("01JD0000000000000000000001", p.GetProperty("disputeId").GetString());
        var attributes = p.GetProperty("attributes");
        Assert.Equal("RaiseChallenge", attributes.GetProperty("rpc.method").GetString());
        Assert.Equal(0, attributes.GetProperty("rpc.grpc.status_code").GetInt32());
        Assert.Equal(2, attributes.EnumerateObject().Count());

        var c = childLine.RootElement;
        Assert.Equal(traceId, c.GetProperty("traceId").GetString());
        Assert.Equal(childId, c.GetProperty("spanId").GetString());
        Assert.Equal(parentId, c.GetProperty("parentSpanId").GetString());
        Assert.Equal("Error", c.GetProperty("status").GetString());
        Assert.False(c.TryGetProperty("disputeId", out _));
        Assert.Equal("challenge-raised", c.GetProperty("attributes").GetProperty("messaging.destination.name").GetString());
    }

    [Fact]
    public void A_second_exporter_on_the_same_file_appends_rather_than_overwrites()
    {
        var file = Path.Combine(_directory, "spans.jsonl");
        for (var run = 0; run < 2; run++)
        {
            using var provider = Sdk.CreateTracerProviderBuilder()
                .AddSource(Source.Name)
                .AddProcessor(new SimpleActivityExportProcessor(new JsonLinesSpanExporter(file, "svc")))
                .Build();
            Source.StartActivity($"run {run}")!.Dispose();
        }
        var lines = File.ReadAllLines(file);
        Assert.Equal(["run 0", "run 1"], lines.Select(l => JsonDocument.Parse(l).RootElement.GetProperty("name").GetString()));
    }
}
