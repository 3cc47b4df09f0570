using System.Reflection;
using Disputes.V1;
using Google.Protobuf.Reflection;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Grpc.Net.Client;

namespace Disputes.Tools.Support;

/// <summary>
/// Follows one dispute through the gateway with a support token (the services then return their
/// redacted views) and, when given Redis, through the bus. A service that does not answer is named
/// in the report's problems; the rest is still shown.
/// </summary>
public sealed class DisputeTracer(GrpcChannel gateway, string token, DisputeBusEvents? bus, TraceLinks links, TimeProvider timeProvider)
{
    private const int PageSize = 100;
    private const int MaxPages = 100;
    private static readonly TimeSpan CallTimeout = TimeSpan.FromSeconds(15);

    /// <summary>The report; null when the challenge does not exist. RpcException when the challenge cannot be read.</summary>
    public async Task<DisputeTraceReport?> TraceAsync(string challengeId, CancellationToken cancellationToken)
    {
        var name = $"challenges/{challengeId}";
        Challenge challenge;
        try
        {
            challenge = await new ChallengeService.ChallengeServiceClient(gateway)
                .GetChallengeAsync(new GetChallengeRequest { Name = name }, Options(cancellationToken));
        }
        catch (RpcException ex) when (ex.StatusCode == StatusCode.NotFound)
        {
            return null;
        }

        var problems = new List<string>();
        var escalation = await TryAsync("escalation", problems, async () =>
            await new EscalationService.EscalationServiceClient(gateway)
                .GetEscalationAsync(new GetEscalationRequest { Name = name + "/escalation" }, Options(cancellationToken)));
        var deliveries = await TryAsync("notification", problems, () => AllPagesAsync<Delivery>(async pageToken =>
        {
            var page = await new NotificationService.NotificationServiceClient(gateway)
                .ListDeliveriesAsync(new ListDeliveriesRequest { Parent = name, PageSize = PageSize, PageToken = pageToken }, Options(cancellationToken));
            return ((IEnumerable<Delivery>)page.Deliveries, page.NextPageToken);
        })) ?? [];
        var entries = await TryAsync("records", problems, () => AllPagesAsync<RecordEntry>(async pageToken =>
        {
            var page = await new RecordsService.RecordsServiceClient(gateway)
                .ListRecordEntriesAsync(new ListRecordEntriesRequest { Parent = name, PageSize = PageSize, PageToken = pageToken }, Options(cancellationToken));
            return ((IEnumerable<RecordEntry>)page.Entries, page.NextPageToken);
        })) ?? [];
        IReadOnlyList<BusEventOfDispute>? held = null;
        if (bus is not null)
        {
            try
            {
                held = await bus.FindAsync(challengeId);
            }
            catch (StackExchange.Redis.RedisException ex)
            {
                problems.Add($"bus: {ex.Message.Split('\n')[0]}");
            }
        }
        return Build(challengeId, challenge, escalation, deliveries, entries, held, links, timeProvider.GetUtcNow(), problems);
    }

    /// <summary>The report from what the services returned: an allowlist of fields, merged into one timeline in time order.</summary>
    public static DisputeTraceReport Build(string challengeId, Challenge challenge, Disputes.V1.Escalation? escalation, IReadOnlyList<Delivery> deliveries,
        IReadOnlyList<RecordEntry> entries, IReadOnlyList<BusEventOfDispute>? bus, TraceLinks links, DateTimeOffset now, IReadOnlyList<string> problems)
    {
        var timeline = new List<TimelineItem>();
        foreach (var change in challenge.History)
        {
            var tier = change.Stage == Stage.SeniorManagers && change.ManagementTier > 0 ? $" tier {change.ManagementTier}" : "";
            timeline.Add(new TimelineItem(Time(change.ChangeTime), "challenge", "stage-change", $"{challenge.Name}@{change.Version}",
                $"{change.Command}: {NameOf(change.State)}{tier} (version {change.Version})", NameOf(change.Stage), PartyOf(change.Actor),
                Blank(change.TraceId), links.For(change.TraceId), null));
        }
        foreach (var delivery in deliveries)
        {
            var delivered = delivery.DeliverTime is null ? "" : $", at {Time(delivery.DeliverTime):yyyy-MM-dd HH:mm:ss}Z";
            timeline.Add(new TimelineItem(Time(delivery.CreateTime), "notification", "delivery", delivery.Name,
                $"{Blank(delivery.Notice) ?? "notice"} to {NameOf(delivery.RecipientRole)} by {NameOf(delivery.Channel)}: {NameOf(delivery.Status)} after {delivery.Attempts} attempt(s){delivered}",
                null, PartyOf(delivery.Recipient), Blank(delivery.TraceId), links.For(delivery.TraceId), Blank(delivery.EventId)));
        }
        foreach (var entry in entries)
        {
            timeline.Add(new TimelineItem(Time(entry.RecordTime) ?? Time(entry.OccurTime), "records", "record-entry", entry.Name,
                $"#{entry.Sequence} {NameOf(entry.Kind)}", NameOf(entry.Stage), PartyOf(entry.Actor), Blank(entry.TraceId), links.For(entry.TraceId),
                Blank(entry.SourceEventId), entry.Sequence));
        }
        var ordered = timeline
            .OrderBy(item => item.Time ?? DateTimeOffset.MaxValue)
            .ThenBy(item => ServiceOrder(item.Service))
            .ThenBy(item => item.Sequence)
            .ToArray();

        var overview = new ChallengeOverview(NameOf(challenge.Stage), challenge.ManagementTier, NameOf(challenge.State), challenge.Version,
            Time(challenge.CreateTime), Time(challenge.UpdateTime), Blank(challenge.TraceId), links.For(challenge.TraceId),
            PartyOf(challenge.RaisingParty), PartyOf(challenge.ReceivingParty), PartyOf(challenge.IndependentChair));
        return new DisputeTraceReport(challengeId, now, overview, escalation is null ? null : EscalationOf(escalation, challenge.State, now), ordered, bus, problems);
    }

    private static EscalationOverview EscalationOf(Disputes.V1.Escalation escalation, ChallengeState state, DateTimeOffset now)
    {
        var open = state is not (ChallengeState.Resolved or ChallengeState.ClosedNotJustified or ChallengeState.Withdrawn);
        var breaches = new List<string>();
        if (open && state == ChallengeState.AwaitingAcknowledgement && Time(escalation.AcknowledgementDueTime) < now)
            breaches.Add("acknowledgement");
        if (open && Time(escalation.StageDueTime) < now)
            breaches.Add("stage");
        if (open && Time(escalation.OverallDueTime) < now)
            breaches.Add("overall");
        return new EscalationOverview(NameOf(escalation.Stage), escalation.ManagementTier, escalation.Policy,
            Time(escalation.AcknowledgementDueTime), Time(escalation.StageDueTime), Time(escalation.OverallDueTime), escalation.Overdue, breaches,
            escalation.IroNotificationRequired,
            escalation.ResponsibleParties.Select(p => new ResponsibleOverview(NameOf(p.Responsibility), PartyOf(p.Party) ?? "-")).ToArray(),
            PartyOf(escalation.IndependentChair), escalation.ChallengeVersion, Time(escalation.UpdateTime));
    }

    private CallOptions Options(CancellationToken cancellationToken) =>
        new(new Metadata { { "authorization", "Bearer " + token } }, DateTime.UtcNow + CallTimeout, cancellationToken);

    private static async Task<T?> TryAsync<T>(string service, List<string> problems, Func<Task<T>> call) where T : class
    {
        try
        {
            return await call();
        }
        catch (RpcException ex)
        {
            problems.Add($"{service}: {ex.StatusCode} {ex.Status.Detail}");
            return null;
        }
    }

    private static async Task<IReadOnlyList<T>> AllPagesAsync<T>(Func<string, Task<(IEnumerable<T> Items, string Next)>> page)
    {
        var all = new List<T>();
        var token = "";
        for (var pages = 0; pages < MaxPages; pages++)
        {
            var (items, next) = await page(token);
            all.AddRange(items);
            if (string.IsNullOrEmpty(next))
                break;
            token = next;
        }
        return all;
    }

    private static int ServiceOrder(string service) => service switch { "challenge" => 0, "records" => 1, _ => 2 };

    private static DateTimeOffset? Time(Timestamp? timestamp) => timestamp is null ? null : timestamp.ToDateTimeOffset();

    private static string? Blank(string? text) => string.IsNullOrEmpty(text) ? null : text;

    /// <summary>A party as ids only: "{agency}/{professional}".</summary>
    private static string? PartyOf(Party? party) =>
        party is null || (party.AgencyId.Length == 0 && party.ProfessionalId.Length == 0) ? null
        : party.ProfessionalId.Length == 0 ? party.AgencyId : $"{party.AgencyId}/{party.ProfessionalId}";

    /// <summary>The proto name of an enum value (STAGE_LINE_MANAGERS), as the proto3 JSON mapping writes it.</summary>
    private static string NameOf<T>(T value) where T : struct, System.Enum =>
        typeof(T).GetField(value.ToString())?.GetCustomAttribute<OriginalNameAttribute>()?.Name ?? value.ToString();
}
