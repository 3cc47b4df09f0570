using Disputes.WorkingDays;
using Disputes.V1;
using NodaTime;

namespace Disputes.Records.Domain;

/// <summary>
/// The partnership's escalation log: the challenges raised in a period, each counted once with
/// its highest stage and its resolution as known now, grouped by raising agency, receiving
/// agency, category and highest stage, with working days to resolve and missed timescales.
/// </summary>
public static class EscalationLog
{
    public static EscalationReport Build(IEnumerable<DisputeRecord> challenges, WorkingDayCalendar calendar)
    {
        var all = challenges.ToList();
        var report = new EscalationReport
        {
            ChallengesRaised = all.Count,
            Resolved = all.Count(c => c.State == ChallengeState.Resolved),
            Withdrawn = all.Count(c => c.State == ChallengeState.Withdrawn),
            ClosedNotJustified = all.Count(c => c.State == ChallengeState.ClosedNotJustified),
            TimescalesMissed = all.Sum(c => (long)c.TimescalesMissed),
        };
        report.Open = report.ChallengesRaised - report.Resolved - report.Withdrawn - report.ClosedNotJustified;
        var days = DaysToResolve(all, calendar);
        report.MedianWorkingDaysToResolve = Median(days);
        report.P90WorkingDaysToResolve = Percentile(days, 0.9);

        report.Rows.AddRange(all
            .GroupBy(c => (c.RaisingAgencyId, c.ReceivingAgencyId, c.Category, c.HighestStage))
            .OrderBy(g => g.Key.RaisingAgencyId, StringComparer.Ordinal)
            .ThenBy(g => g.Key.ReceivingAgencyId, StringComparer.Ordinal)
            .ThenBy(g => g.Key.Category)
            .ThenBy(g => g.Key.HighestStage)
            .Select(g =>
            {
                var rowDays = DaysToResolve(g, calendar);
                return new ReportRow
                {
                    RaisingAgencyId = g.Key.RaisingAgencyId,
                    ReceivingAgencyId = g.Key.ReceivingAgencyId,
                    Category = g.Key.Category,
                    HighestStage = g.Key.HighestStage,
                    Challenges = g.Count(),
                    Resolved = g.Count(c => c.State == ChallengeState.Resolved),
                    MeanWorkingDaysToResolve = rowDays.Count == 0 ? 0 : rowDays.Average(),
                    MedianWorkingDaysToResolve = Median(rowDays),
                    P90WorkingDaysToResolve = Percentile(rowDays, 0.9),
                    TimescalesMissed = g.Sum(c => (long)c.TimescalesMissed),
                };
            }));
        report.ByRaisingAgency.AddRange(Counts(all, c => c.RaisingAgencyId));
        report.ByReceivingAgency.AddRange(Counts(all, c => c.ReceivingAgencyId));
        report.ByCategory.AddRange(Counts(all, c => ProtoName(c.Category)));
        report.ByHighestStage.AddRange(Counts(all, c => ProtoName(c.HighestStage)));
        return report;
    }

    /// <summary>Working days from raise to resolution, for the resolved challenges, in order.</summary>
    public static List<double> DaysToResolve(IEnumerable<DisputeRecord> challenges, WorkingDayCalendar calendar) =>
        challenges
            .Where(c => c.State == ChallengeState.Resolved && c.RaisedTime is not null && c.ClosedTime is not null)
            .Select(c => (double)calendar.WorkingDaysBetween(Instant.FromDateTimeOffset(c.RaisedTime!.Value), Instant.FromDateTimeOffset(c.ClosedTime!.Value)))
            .Order()
            .ToList();

    public static double Median(IReadOnlyList<double> sorted) =>
        sorted.Count == 0 ? 0
            : sorted.Count % 2 == 1 ? sorted[sorted.Count / 2]
            : (sorted[sorted.Count / 2 - 1] + sorted[sorted.Count / 2]) / 2;

    /// <summary>Nearest rank: the smallest value with at least <paramref name="p"/> of the values at or below it.</summary>
    public static double Percentile(IReadOnlyList<double> sorted, double p) =>
        sorted.Count == 0 ? 0 : sorted[Math.Max(0, (int)Math.Ceiling(p * sorted.Count) - 1)];

    /// <summary>An enum value as the API names it, e.g. CATEGORY_CASE_CLOSURE.</summary>
    public static string ProtoName<TEnum>(TEnum value) where TEnum : struct, Enum =>
        CommonReflection.Descriptor.EnumTypes.Concat(RecordsServiceReflection.Descriptor.EnumTypes).FirstOrDefault(e => e.ClrType == typeof(TEnum))
            ?.FindValueByNumber(Convert.ToInt32(value, System.Globalization.CultureInfo.InvariantCulture))?.Name ?? value.ToString();

    private static IEnumerable<ReportCount> Counts(IEnumerable<DisputeRecord> challenges, Func<DisputeRecord, string> key) =>
        challenges.GroupBy(key)
            .OrderBy(g => g.Key, StringComparer.Ordinal)
            .Select(g => new ReportCount { Key = g.Key, Challenges = g.Count(), TimescalesMissed = g.Sum(c => (long)c.TimescalesMissed) });
}
