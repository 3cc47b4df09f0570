using System.CommandLine;
using System.Text.Json;
using Disputes.Tools.Support;
using Spectre.Console;

namespace Disputes.Tools;

/// <summary><c>bus status</c>: per topic and consumer group, and per service outbox, what is waiting and for how long.</summary>
public static class BusCommand
{
    public static Command Create()
    {
        var redisOption = SupportCommandOptions.Redis();
        var json = SupportCommandOptions.Json();
        var status = new Command("status", "Per topic and consumer group: length, lag, pending, oldest pending age, dead letters; per service: outbox length and oldest entry age.")
        {
            redisOption, json,
        };
        status.SetAction(async (parse, cancellationToken) =>
        {
            using var redis = await RedisConnections.OpenAsync(parse.GetValue(redisOption)!, Console.Error);
            if (redis is null)
                return 1;
            var bus = await new BusInspector(redis, TimeProvider.System).StatusAsync();
            if (parse.GetValue(json))
                Console.WriteLine(JsonSerializer.Serialize(bus, SupportCommandOptions.JsonOptions));
            else
                Render(AnsiConsole.Console, bus);
            return 0;
        });
        return new Command("bus", "See the event bus: topics, consumer groups, outboxes.") { status };
    }

    public static void Render(IAnsiConsole console, BusStatus bus)
    {
        var topics = new Table().Title("Topics and consumer groups").Border(TableBorder.Rounded);
        foreach (var column in new[] { "topic", "length", "dead letters", "group", "lag", "pending", "oldest pending", "idle", "deliveries", "consumers" })
            topics.AddColumn(new TableColumn(column));
        foreach (var topic in bus.Topics)
        {
            var deadLetters = topic.DeadLetters > 0 ? $"[red]{topic.DeadLetters}[/]" : "0";
            if (topic.Groups.Count == 0)
                topics.AddRow(Markup.Escape(topic.Topic), $"{topic.Length}", deadLetters, "[grey](no group)[/]", "-", "-", "-", "-", "-", "-");
            foreach (var (group, index) in topic.Groups.Select((g, i) => (g, i)))
            {
                topics.AddRow(
                    index == 0 ? Markup.Escape(topic.Topic) : "",
                    index == 0 ? $"{topic.Length}" : "",
                    index == 0 ? deadLetters : "",
                    Markup.Escape(group.Group),
                    group.Lag?.ToString() ?? "?",
                    group.Pending > 0 ? $"[yellow]{group.Pending}[/]" : "0",
                    Ages.Format(group.OldestPendingAge),
                    Ages.Format(group.OldestPendingIdle),
                    group.OldestPendingDeliveries?.ToString() ?? "-",
                    $"{group.Consumers}");
            }
        }
        console.Write(topics);

        var outboxes = new Table().Title("Outboxes").Border(TableBorder.Rounded);
        foreach (var column in new[] { "service", "outbox", "partitions", "length", "oldest entry", "dead letters" })
            outboxes.AddColumn(column);
        foreach (var outbox in bus.Outboxes)
            outboxes.AddRow(Markup.Escape(outbox.App), Markup.Escape(outbox.Stream), $"{outbox.Partitions}", $"{outbox.Length}", Ages.Format(outbox.OldestEntryAge),
                outbox.DeadLetters > 0 ? $"[red]{outbox.DeadLetters}[/]" : "0");
        if (bus.Outboxes.Count == 0)
            outboxes.AddRow("[grey](no outbox streams)[/]", "", "", "", "", "");
        console.Write(outboxes);
        console.MarkupLine($"[grey]at {bus.Time.UtcDateTime:yyyy-MM-dd HH:mm:ss}Z; lag: Redis's own count, or counted up to {BusInspector.LagCountLimit} when Redis cannot say[/]");
    }
}
