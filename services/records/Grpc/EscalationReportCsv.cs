using System.Globalization;
using System.Text;
using CsvHelper;
using Disputes.Records.Domain;
using Disputes.V1;

namespace Disputes.Records.Grpc;

/// <summary>The escalation log as RFC 4180 CSV, one line per row of the report.</summary>
public static class EscalationReportCsv
{
    private static readonly string[] Header =
    [
        "raising_agency_id", "receiving_agency_id", "category", "highest_stage", "challenges", "resolved",
        "mean_working_days_to_resolve", "median_working_days_to_resolve", "p90_working_days_to_resolve", "timescales_missed",
    ];

    public static byte[] Write(EscalationReport report)
    {
        using var text = new StringWriter(CultureInfo.InvariantCulture);
        // Agency ids come from tokens and events: a spreadsheet must not run one as a formula.
        using (var csv = CsvWriter.Create(text, new CsvWriterOptions { Injection = CsvInjection.Escape }, leaveOpen: true))
        {
            csv.WriteHeader(Header);
            foreach (var row in report.Rows)
            {
                csv.WriteRecord(
                [
                    row.RaisingAgencyId,
                    row.ReceivingAgencyId,
                    EscalationLog.ProtoName(row.Category),
                    EscalationLog.ProtoName(row.HighestStage),
                    Number(row.Challenges),
                    Number(row.Resolved),
                    Number(row.MeanWorkingDaysToResolve),
                    Number(row.MedianWorkingDaysToResolve),
                    Number(row.P90WorkingDaysToResolve),
                    Number(row.TimescalesMissed),
                ]);
            }
        }
        return Encoding.UTF8.GetBytes(text.ToString());
    }

    private static string Number(double value) => value.ToString("0.##", CultureInfo.InvariantCulture);
}
