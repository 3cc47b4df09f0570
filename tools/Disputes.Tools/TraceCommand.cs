using System.CommandLine;
using System.Text.Json;
using Disputes.Procedure;
using Disputes.ServiceDefaults.Grpc;
using Disputes.ServiceDefaults.Identity;
using Disputes.Tools.Support;
using Grpc.Core;
using Grpc.Net.Client;
using Spectre.Console;

namespace Disputes.Tools;

/// <summary>
/// <c>trace &lt;challenge&gt;</c>: one dispute end to end through the gateway with a support token (its
/// history, escalation, deliveries and record entries in time order, each with its trace) and any of its
/// events held up on the bus, naming the service. Never the narrative: support views are redacted.
/// </summary>
public static class TraceCommand
{
    public const string GatewayVariable = "DISPUTES_GATEWAY";
    public const string TokenVariable = "DISPUTES_TOKEN";
    public const string SpansVariable = "DISPUTES_SPANS";
    private const int NotFound = 3;

    public static Command Create()
    {
        var challenge = new Argument<string>("challenge") { Description = "The challenge: its id or challenges/{id}." };
        challenge.Validators.Add(r =>
        {
            if (IdOf(r.GetValueOrDefault<string>() ?? "") is null)
                r.AddError($"'{r.GetValueOrDefault<string>()}' is not a challenge id or name (challenges/{{id}}).");
        });
        var gateway = new Option<string>("--gateway")
        {
            Description = $"The gateway's gRPC address [env {GatewayVariable}].",
            DefaultValueFactory = _ => Environment.GetEnvironmentVariable(GatewayVariable) is { Length: > 0 } g ? g : "http://127.0.0.1:8080",
        };
        gateway.Validators.Add(r =>
        {
            if (!Uri.TryCreate(r.GetValueOrDefault<string>(), UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
                r.AddError($"--gateway '{r.GetValueOrDefault<string>()}' is not an http:// or https:// address.");
        });
        var token = new Option<string?>("--token") { Description = $"A bearer token with the support role [env {TokenVariable}]; without one, a development token is minted from --key-file." };
        var keyFile = new Option<FileInfo>("--key-file") { Description = "The development signing key, to mint a support token.", DefaultValueFactory = _ => new FileInfo(TokenCommand.DefaultKeyFile) };
        var who = new Option<string?>("--operator") { Description = "The subject of a minted token (default: the OS user)." };
        var traceUrl = new Option<string?>("--trace-url")
        {
            Description = $"Trace-viewer link template with {TraceLinks.Placeholder}, e.g. http://localhost:16686/trace/{TraceLinks.Placeholder} [env {TraceLinks.Variable}].",
            DefaultValueFactory = _ => Environment.GetEnvironmentVariable(TraceLinks.Variable),
        };
        traceUrl.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<string?>() is { Length: > 0 } template && !TraceLinks.IsValidTemplate(template))
                r.AddError($"--trace-url must be an http(s) URL containing {TraceLinks.Placeholder}.");
        });
        var redisOption = SupportCommandOptions.Redis();
        var noBus = new Option<bool>("--no-bus") { Description = "Do not look in Redis for the dispute's events held up on the bus." };
        var json = SupportCommandOptions.Json();
        var spans = new Option<string?>("--spans")
        {
            Description = $"A local spans file or directory (the services' Telemetry:SpansDirectory): show the dispute's spans as a tree per trace [env {SpansVariable}].",
            DefaultValueFactory = _ => Environment.GetEnvironmentVariable(SpansVariable),
        };
        spans.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<string?>() is { Length: > 0 } path && !File.Exists(path) && !Directory.Exists(path))
                r.AddError($"--spans '{path}' is neither a file nor a directory.");
        });

        var command = new Command("trace", "Follow one dispute end to end: stages, escalation, deliveries, record entries and trace links, and its events stuck on the bus.")
        {
            challenge, gateway, token, keyFile, who, traceUrl, redisOption, noBus, json, spans,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var bearer = parse.GetValue(token) is { Length: > 0 } given ? given
                : Environment.GetEnvironmentVariable(TokenVariable) is { Length: > 0 } fromEnvironment ? fromEnvironment
                : MintSupportToken(parse.GetValue(keyFile)!, SupportAudit.OperatorOr(parse.GetValue(who)));
            if (bearer is null)
                return 2;

            // Without Redis the dispute's path is still shown; the report says the bus was not looked at.
            var unreachable = new StringWriter();
            using var redis = parse.GetValue(noBus) ? null : await RedisConnections.OpenAsync(parse.GetValue(redisOption)!, unreachable);
            var busProblem = redis is null && !parse.GetValue(noBus) ? $"bus: {unreachable.ToString().Trim()}" : null;
            using var channel = GrpcChannel.ForAddress(parse.GetValue(gateway)!);
            var tracer = new DisputeTracer(channel, bearer, redis is null ? null : new DisputeBusEvents(redis), new TraceLinks(parse.GetValue(traceUrl)), TimeProvider.System);
            var id = IdOf(parse.GetValue(challenge)!)!;
            DisputeTraceReport? report;
            try
            {
                report = await tracer.TraceAsync(id, cancellationToken);
                if (report is not null && busProblem is not null)
                    report = report with { Problems = [.. report.Problems, busProblem] };
            }
            catch (RpcException ex)
            {
                await Console.Error.WriteLineAsync($"The challenge service answered {ex.StatusCode}: {ex.Status.Detail}" +
                    (ex.StatusCode is StatusCode.Unauthenticated or StatusCode.PermissionDenied ? " (a token with the support role is needed)" : ""));
                return 1;
            }
            if (report is null)
            {
                await Console.Error.WriteLineAsync($"No challenge challenges/{id}.");
                return NotFound;
            }
            if (parse.GetValue(spans) is { Length: > 0 } spansPath)
                report = WithSpans(report, id, spansPath);
            if (parse.GetValue(json))
                Console.WriteLine(JsonSerializer.Serialize(report, SupportCommandOptions.JsonOptions));
            else
                TraceRendering.Render(AnsiConsole.Console, report);
            return 0;
        });
        return command;
    }

    /// <summary>The dispute's spans: those tagged with it, and the traces its history, deliveries and record entries name.</summary>
    private static DisputeTraceReport WithSpans(DisputeTraceReport report, string id, string path)
    {
        try
        {
            var traceIds = report.Timeline.Select(i => i.TraceId).Append(report.Overview.TraceId)
                .Concat(report.Bus?.Select(b => b.TraceId) ?? []);
            var spans = LocalSpans.OfDispute(path, id, traceIds, out var unreadable);
            var problems = unreadable > 0 ? [.. report.Problems, $"spans: {unreadable} unreadable line(s) skipped"] : report.Problems;
            return report with { Spans = spans, Problems = problems };
        }
        catch (IOException ex)
        {
            return report with { Problems = [.. report.Problems, $"spans: {ex.Message}"] };
        }
        catch (UnauthorizedAccessException ex)
        {
            return report with { Problems = [.. report.Problems, $"spans: {ex.Message}"] };
        }
    }

    /// <summary>The challenge id of "challenges/{id}" or of a bare id; null when neither.</summary>
    public static string? IdOf(string text)
    {
        var id = text.StartsWith("challenges/", StringComparison.Ordinal) ? text["challenges/".Length..] : text;
        return SortableId.IsValid(id) ? id : null;
    }

    private static string? MintSupportToken(FileInfo key, string who)
    {
        if (!key.Exists)
        {
            Console.Error.WriteLine($"No token: pass --token (or {TokenVariable}), or a development signing key with --key-file (none at {key.FullName}).");
            return null;
        }
        var auth = new AuthOptions { SigningKey = File.ReadAllText(key.FullName).Trim() };
        return DevelopmentTokens.Mint(auth, who, DisputeRoles.Support, [DisputeRoles.Support], TimeSpan.FromMinutes(15), DateTimeOffset.UtcNow);
    }
}
