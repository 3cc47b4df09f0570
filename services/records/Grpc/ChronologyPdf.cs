using System.Globalization;
using System.Text;
using Disputes.Records.Domain;
using Disputes.V1;
using UglyToad.PdfPig.Content;
using UglyToad.PdfPig.Core;
using UglyToad.PdfPig.Fonts.Standard14Fonts;
using UglyToad.PdfPig.Writer;

namespace Disputes.Records.Grpc;

/// <summary>The chronology as a printable PDF (PdfPig, Apache-2.0): the verification result first, then every entry in order.</summary>
public static class ChronologyPdf
{
    private const double Left = 40;
    private const double Top = 800;
    private const double Bottom = 50;
    private const double LineHeight = 12;
    private const int FontSize = 9;
    private const int CharactersPerLine = 105;

    public static byte[] Write(RecordExport export)
    {
        var builder = new PdfDocumentBuilder();
        var regular = builder.AddStandard14Font(Standard14Font.Helvetica);
        var bold = builder.AddStandard14Font(Standard14Font.HelveticaBold);
        var page = builder.AddPage(PageSize.A4);
        var y = Top;

        void Line(string text, PdfDocumentBuilder.AddedFont font)
        {
            foreach (var part in Wrap(Printable(text)))
            {
                if (y < Bottom)
                {
                    page = builder.AddPage(PageSize.A4);
                    y = Top;
                }
                page.AddText(part, FontSize, new PdfPoint(Left, y), font);
                y -= LineHeight;
            }
        }

        var verification = export.Verification;
        Line($"Record of {export.Challenge}", bold);
        Line($"Exported {Time(export.ExportTime)}", regular);
        Line(verification.Intact
            ? $"Verification: intact, {verification.EntriesChecked} entries checked, checkpoint {EscalationLog.ProtoName(verification.Checkpoint)}."
            : $"Verification: NOT INTACT. {string.Join(" ", verification.Problems)}", bold);
        Line($"Witness (the head escalation saw): {EscalationLog.ProtoName(verification.Witness)}, sequence {verification.WitnessedSequence}.", regular);
        y -= LineHeight;
        foreach (var entry in export.Entries)
        {
            Line($"{entry.Sequence}. {Time(entry.OccurTime ?? entry.RecordTime)}  {EscalationLog.ProtoName(entry.Kind)}  {RecordEntries.StageText(entry.Stage, entry.ManagementTier)}", bold);
            if (entry.Summary.Length > 0)
                Line(entry.Summary, regular);
            if (entry.Meeting is { } meeting)
            {
                Line($"Minutes: {meeting.Minutes}", regular);
                foreach (var decision in meeting.Decisions)
                    Line($"Decision: {decision}", regular);
                foreach (var recommendation in meeting.Recommendations)
                    Line($"Recommendation: {recommendation}", regular);
            }
            Line($"Trace {entry.TraceId}  entry {entry.Name}  hash {entry.Hash}", regular);
            y -= LineHeight / 2;
        }
        return builder.Build();
    }

    private static string Time(Google.Protobuf.WellKnownTypes.Timestamp? time) =>
        time is null ? "-" : time.ToDateTimeOffset().ToString("yyyy-MM-dd HH:mm 'UTC'", CultureInfo.InvariantCulture);

    /// <summary>The standard fonts write Latin-1 only; anything else prints as '?'.</summary>
    private static string Printable(string text)
    {
        var printable = new StringBuilder(text.Length);
        foreach (var c in text)
            printable.Append(c is >= ' ' and <= '~' or >= '\u00A0' and <= '\u00FF' ? c : c is '\n' or '\r' or '\t' ? ' ' : '?');
        return printable.ToString();
    }

    private static IEnumerable<string> Wrap(string text)
    {
        var words = text.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        var line = new StringBuilder();
        foreach (var word in words)
        {
            for (var start = 0; start < word.Length; start += CharactersPerLine)
            {
                var piece = word.Substring(start, Math.Min(CharactersPerLine, word.Length - start));
                if (line.Length > 0 && line.Length + 1 + piece.Length > CharactersPerLine)
                {
                    yield return line.ToString();
                    line.Clear();
                }
                if (line.Length > 0)
                    line.Append(' ');
                line.Append(piece);
            }
        }
        if (line.Length > 0 || words.Length == 0)
            yield return line.ToString();
    }
}
