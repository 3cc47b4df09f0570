using Spectre.Console;

namespace Disputes.Tools.Support;

/// <summary>The trace report as tables: the challenge, its escalation, the timeline with trace links, and the bus.</summary>
public static class TraceRendering
{
    public static void Render(IAnsiConsole console, DisputeTraceReport report)
    {
        var o = report.Overview;
        var overview = new Grid().AddColumn().AddColumn();
        void Row(string name, string? value) => overview.AddRow($"[bold]{name}[/]", value ?? "-");
        Row("challenge", Markup.Escape($"challenges/{report.Challenge}"));
        Row("stage", Markup.Escape(o.Stage + (o.ManagementTier > 0 ? $" tier {o.ManagementTier}" : "")));
        Row("state", Markup.Escape($"{o.State} (version {o.Version})"));
        Row("raised", $"{Time(o.CreateTime)}, last change {Time(o.UpdateTime)}");
        Row("parties", Markup.Escape($"{o.RaisingParty ?? "-"} raised it about {o.ReceivingParty ?? "-"}" + (o.IndependentChair is { } chair ? $"; chair {chair}" : "")));
        Row("raised in trace", Trace(o.TraceId, o.TraceUrl));
        console.Write(new Panel(overview).Header("Challenge").Border(BoxBorder.Rounded));

        if (report.Escalation is { } e)
        {
            var escalation = new Table().Title("Escalation").Border(TableBorder.Rounded).AddColumn("responsibility").AddColumn("who");
            foreach (var party in e.ResponsibleParties)
                escalation.AddRow(Markup.Escape(party.Responsibility), Markup.Escape(party.Party));
            escalation.Caption(Markup.Escape(
                $"{e.Stage}{(e.ManagementTier > 0 ? $" tier {e.ManagementTier}" : "")}, policy {e.Policy}; acknowledgement due {Time(e.AcknowledgementDueTime)}, " +
                $"stage due {Time(e.StageDueTime)}, overall due {Time(e.OverallDueTime)}") +
                (e.Overdue || e.Breaches.Count > 0 ? $" [red]overdue: {Markup.Escape(e.Breaches.Count > 0 ? string.Join(", ", e.Breaches) : "yes")}[/]" : ""));
            console.Write(escalation);
        }

        var timeline = new Table().Title("Timeline").Border(TableBorder.Rounded);
        foreach (var column in new[] { "time", "service", "what", "stage", "who", "trace" })
            timeline.AddColumn(column);
        foreach (var item in report.Timeline)
            timeline.AddRow(Time(item.Time), item.Service, Markup.Escape(item.What), Markup.Escape(item.Stage ?? "-"), Markup.Escape(item.Actor ?? "-"),
                Trace(item.TraceId, item.TraceUrl));
        console.Write(timeline);

        var links = report.Timeline.Where(i => i.TraceUrl is not null).Select(i => (i.TraceId, i.TraceUrl)).Distinct().ToArray();
        foreach (var (traceId, url) in links)
            console.MarkupLine($"[grey]{traceId}[/] {Markup.Escape(url!)}");

        if (report.Bus is { } bus)
        {
            if (bus.Count == 0)
            {
                console.MarkupLine("[green]bus: nothing of this dispute is waiting, pending or dead-lettered[/]");
            }
            else
            {
                var held = new Table().Title("Held up on the bus").Border(TableBorder.Rounded);
                foreach (var column in new[] { "state", "service", "stream", "entry", "event", "time", "deliveries", "idle", "reason", "trace" })
                    held.AddColumn(column);
                foreach (var b in bus)
                    held.AddRow($"[yellow]{b.State}[/]", Markup.Escape(string.Join(", ", b.Services)), Markup.Escape(b.Stream), b.EntryId,
                        Markup.Escape($"{b.EventType} {b.EventId}"), Time(b.EventTime), b.Deliveries?.ToString() ?? "-", Ages.Format(b.Idle),
                        Markup.Escape(b.Reason ?? "-"), b.TraceId ?? "-");
                console.Write(held);
            }
        }
        if (report.Spans is { } traces)
            RenderSpans(console, traces);
        foreach (var problem in report.Problems)
            console.MarkupLine($"[red]not shown: {Markup.Escape(problem)}[/]");
    }

    /// <summary>Each trace as a tree: service, span name, duration; failed spans in red.</summary>
    private static void RenderSpans(IAnsiConsole console, IReadOnlyList<TraceSpans> traces)
    {
        if (traces.Count == 0)
        {
            console.MarkupLine("[yellow]spans: none of this dispute in the spans files[/]");
            return;
        }
        foreach (var trace in traces)
        {
            var tree = new Tree($"[bold]trace {trace.TraceId}[/]");
            var path = new List<IHasTreeNodes> { tree };
            foreach (var span in trace.Spans)
            {
                while (path.Count > span.Depth + 1)
                    path.RemoveAt(path.Count - 1);
                var label = $"[blue]{Markup.Escape(span.Service)}[/] {Markup.Escape(span.Name)} [grey]{span.DurationMs:0.0} ms[/]" +
                    (span.Status == "Error" ? " [red]error[/]" : "");
                path.Add(path[^1].AddNode(label));
            }
            console.Write(tree);
        }
    }

    private static string Trace(string? traceId, string? url) =>
        traceId is null ? "-" : url is null ? traceId : $"[link={Markup.Escape(url)}]{traceId}[/]";

    private static string Time(DateTimeOffset? time) => time is { } t ? t.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss'Z'") : "-";
}
