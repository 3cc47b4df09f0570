using System.CommandLine;
using System.Text.Json;
using Disputes.Tools.Support;
using Spectre.Console;
using StackExchange.Redis;

namespace Disputes.Tools;

/// <summary>
/// <c>deadletters list|show|replay|discard &lt;topic&gt;</c>: why an event was dead-lettered; put it back on
/// its topic once, or discard it with a reason. Replays and discards are audited in <c>support:audit</c>.
/// Each also takes a service's outbox (<c>challenge:outbox</c>): the events whose publish failed too
/// often, over all its partitions; a replay puts one back in the outbox for the service's relay.
/// </summary>
public static class DeadLettersCommand
{
    private const int NotFound = 3;
    private const int NotDone = 4;

    public static Command Create() => new("deadletters", "See, replay or discard the events a topic's consumers gave up on.")
    {
        List(), Show(), Replay(), Discard(),
    };

    private static Command List()
    {
        var (topic, redisOption, json) = (Topic(), SupportCommandOptions.Redis(), SupportCommandOptions.Json());
        var limit = new Option<int>("--limit") { Description = "At most this many, oldest first.", DefaultValueFactory = _ => 100 };
        limit.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<int>() is < 1 or > 10_000)
                r.AddError("--limit must be between 1 and 10000.");
        });
        var command = new Command("list", "The dead letters of a topic, oldest first.") { topic, redisOption, json, limit };
        command.SetAction((parse, _) => WithDeskAsync(parse, redisOption, async desk =>
        {
            var name = parse.GetValue(topic)!;
            var (total, deadLetters) = OutboxStreams.IsOutboxName(name)
                ? await desk.ListOutboxAsync(name, parse.GetValue(limit))
                : await desk.ListAsync(name, parse.GetValue(limit));
            if (parse.GetValue(json))
            {
                Console.WriteLine(JsonSerializer.Serialize(new { topic = parse.GetValue(topic), total, deadLetters }, SupportCommandOptions.JsonOptions));
                return 0;
            }
            var title = OutboxStreams.IsOutboxName(name) ? $"{name} dead letters" : DeadLetterDesk.StreamOf(name);
            var table = new Table().Title($"{Markup.Escape(title)}: {total}").Border(TableBorder.Rounded);
            foreach (var column in new[] { "entry", "dead-lettered", "reason", "event id", "type", "dispute", "version", "trace" })
                table.AddColumn(column);
            foreach (var d in deadLetters)
                table.AddRow(d.EntryId, Time(d.DeadLetterTime), Markup.Escape(d.Reason ?? "(not recorded)"), Markup.Escape(d.EventId ?? "(not a CloudEvent)"),
                    Markup.Escape(d.EventType ?? "-"), Markup.Escape(d.DisputeId ?? "-"), d.Version?.ToString() ?? "-", d.TraceId ?? "-");
            AnsiConsole.Write(table);
            if (total > deadLetters.Count)
                AnsiConsole.MarkupLine($"[grey]{total - deadLetters.Count} more; raise --limit to see them[/]");
            return 0;
        }));
        return command;
    }

    private static Command Show()
    {
        var (topic, entry, redisOption, json) = (Topic(), EntryId(), SupportCommandOptions.Redis(), SupportCommandOptions.Json());
        var command = new Command("show", "One dead letter: why it was dead-lettered and what event it holds (ids, type, dispute, time, trace; never the narrative).")
        {
            topic, entry, redisOption, json,
        };
        command.SetAction((parse, _) => WithDeskAsync(parse, redisOption, async desk =>
        {
            var name = parse.GetValue(topic)!;
            var deadLetter = OutboxStreams.IsOutboxName(name)
                ? await desk.ShowOutboxAsync(name, parse.GetValue(entry)!)
                : await desk.ShowAsync(name, parse.GetValue(entry)!);
            if (deadLetter is null)
            {
                await Console.Error.WriteLineAsync($"No dead letter {parse.GetValue(entry)} in {(OutboxStreams.IsOutboxName(name) ? name : DeadLetterDesk.StreamOf(name))}.");
                return NotFound;
            }
            if (parse.GetValue(json))
            {
                Console.WriteLine(JsonSerializer.Serialize(deadLetter, SupportCommandOptions.JsonOptions));
                return 0;
            }
            var grid = new Grid().AddColumn().AddColumn();
            void Row(string name, string? value) => grid.AddRow($"[bold]{name}[/]", Markup.Escape(value ?? "-"));
            Row("topic", deadLetter.Topic);
            Row("entry", deadLetter.EntryId);
            Row("dead-lettered", Time(deadLetter.DeadLetterTime));
            Row("reason", deadLetter.Reason ?? "(not recorded by the consumer)");
            Row("entry on the topic", deadLetter.OriginalEntryId);
            Row("cloud event", deadLetter.IsCloudEvent ? "yes" : "no: the entry cannot be read as a CloudEvent");
            Row("event id", deadLetter.EventId);
            Row("type", deadLetter.EventType);
            Row("source", deadLetter.Source);
            Row("dispute", deadLetter.DisputeId);
            Row("event time", Time(deadLetter.EventTime));
            Row("version", deadLetter.Version?.ToString());
            Row("trace", deadLetter.TraceId);
            Row("fields", string.Join(", ", deadLetter.Fields));
            AnsiConsole.Write(grid);
            return 0;
        }));
        return command;
    }

    private static Command Replay()
    {
        var (topic, entry, redisOption, json, who) = (Topic(), EntryId(), SupportCommandOptions.Redis(), SupportCommandOptions.Json(), Operator());
        var reason = new Option<string?>("--reason") { Description = "Why it is replayed (for the audit), e.g. the fix that was deployed." };
        var command = new Command("replay", "Put a dead-lettered event back on its topic (an outbox's: back in the outbox), once: a second replay of the same entry does nothing.")
        {
            topic, entry, redisOption, json, who, reason,
        };
        command.SetAction((parse, _) => WithDeskAsync(parse, redisOption, async desk =>
        {
            var (name, id, by, why) = (parse.GetValue(topic)!, parse.GetValue(entry)!, SupportAudit.OperatorOr(parse.GetValue(who)), parse.GetValue(reason)?.Trim());
            return Report(parse.GetValue(json), OutboxStreams.IsOutboxName(name)
                ? await desk.ReplayOutboxAsync(name, id, by, why)
                : await desk.ReplayAsync(name, id, by, why));
        }));
        return command;
    }

    private static Command Discard()
    {
        var (topic, entry, redisOption, json, who) = (Topic(), EntryId(), SupportCommandOptions.Redis(), SupportCommandOptions.Json(), Operator());
        var reason = new Option<string>("--reason") { Description = "Why it is discarded (required; kept in the audit).", Required = true };
        reason.Validators.Add(r =>
        {
            if (string.IsNullOrWhiteSpace(r.GetValueOrDefault<string>()))
                r.AddError("--reason must say why the event is discarded.");
        });
        var command = new Command("discard", "Remove a dead letter for good, with a reason.") { topic, entry, redisOption, json, who, reason };
        command.SetAction((parse, _) => WithDeskAsync(parse, redisOption, async desk =>
        {
            var (name, id, by, why) = (parse.GetValue(topic)!, parse.GetValue(entry)!, SupportAudit.OperatorOr(parse.GetValue(who)), parse.GetValue(reason)!);
            return Report(parse.GetValue(json), OutboxStreams.IsOutboxName(name)
                ? await desk.DiscardOutboxAsync(name, id, by, why)
                : await desk.DiscardAsync(name, id, by, why));
        }));
        return command;
    }

    private static int Report(bool json, DeadLetterAction action)
    {
        if (json)
            Console.WriteLine(JsonSerializer.Serialize(action, SupportCommandOptions.JsonOptions));
        else
            (action.Outcome is DeadLetterOutcome.Replayed or DeadLetterOutcome.Discarded or DeadLetterOutcome.AlreadyReplayed ? Console.Out : Console.Error)
                .WriteLine($"{action.Topic} {action.EntryId}: {action.Detail}" + (action.ReplayedEntryId is { } id ? $" as entry {id}" : ""));
        return action.Outcome switch
        {
            DeadLetterOutcome.Replayed or DeadLetterOutcome.Discarded or DeadLetterOutcome.AlreadyReplayed => 0,
            DeadLetterOutcome.NotFound => NotFound,
            _ => NotDone,
        };
    }

    private static async Task<int> WithDeskAsync(ParseResult parse, Option<string> redisOption, Func<DeadLetterDesk, Task<int>> action)
    {
        using IConnectionMultiplexer? redis = await RedisConnections.OpenAsync(parse.GetValue(redisOption)!, Console.Error);
        return redis is null ? 1 : await action(new DeadLetterDesk(redis, TimeProvider.System));
    }

    private static Argument<string> Topic()
    {
        var topic = new Argument<string>("topic")
        {
            Description = "The topic, e.g. challenge-raised (its dead letters are in {topic}-deadletter), or a service's outbox, e.g. challenge:outbox.",
        };
        topic.Validators.Add(r =>
        {
            var name = r.GetValueOrDefault<string>() ?? "";
            if (!BusTopics.IsKnown(name) && !OutboxStreams.IsOutboxName(name))
                r.AddError($"Unknown topic '{name}'. Topics: {BusTopics.Known}; or a service's outbox such as challenge:outbox.");
        });
        return topic;
    }

    private static Argument<string> EntryId()
    {
        var entry = new Argument<string>("entry") { Description = "The dead letter's entry id, as list shows it (e.g. 1764000000000-0; p07/1764000000000-0 in an outbox)." };
        entry.Validators.Add(r =>
        {
            var text = r.GetValueOrDefault<string>() ?? "";
            if (!StreamIds.IsValid(text) && !DeadLetterDesk.TryParseOutboxEntry(text, out _, out _))
                r.AddError($"'{text}' is not a stream entry id ({{milliseconds}}-{{sequence}}, or p{{NN}}/{{milliseconds}}-{{sequence}} in an outbox).");
        });
        return entry;
    }

    private static Option<string?> Operator() =>
        new("--operator") { Description = "Who acts, for the audit (default: the OS user)." };

    private static string Time(DateTimeOffset? time) => time is { } t ? t.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss.fff'Z'") : "-";
}
