using System.Text;
using Disputes.V1;
using Disputes.V1.Events;

namespace Disputes.Records.Domain;

/// <summary>What the record says about each event, in words a reader of the minutes expects.</summary>
public static class RecordEntries
{
    private static readonly Google.Protobuf.Reflection.EnumDescriptor CategoryDescriptor =
        CommonReflection.Descriptor.EnumTypes.Single(e => e.ClrType == typeof(Category));

    public static RecordEntry Raised(ChallengeRaised raised)
    {
        var summary = new StringBuilder()
            .Append($"Challenge raised by {Describe(raised.RaisingParty)} about a decision, action or inaction of {Describe(raised.ReceivingParty)}. ")
            .Append($"Category: {CategoryText(raised)}. ")
            .Append($"Challenged: {raised.Subject} ")
            .Append($"Why the practice is unsafe for the child: {raised.UnsafePracticeReason} ")
            .Append($"What should change for the child: {raised.DesiredChange} ")
            .Append($"Impact on the child: {raised.ImpactOnChild}");
        return new RecordEntry
        {
            Kind = RecordEntryKind.ChallengeRaised,
            Stage = Stage.ProfessionalDiscussion,
            Actor = raised.RaisingParty,
            Summary = summary.ToString(),
            OccurTime = raised.OccurTime,
        };
    }

    /// <summary>Support engineers see what happened and when, never the narrative.</summary>
    public static RecordEntry ForSupport(RecordEntry entry)
    {
        var redacted = entry.Clone();
        redacted.Summary = "";
        redacted.Meeting = null;
        return redacted;
    }

    private static string Describe(Party party) =>
        party.ProfessionalId.Length > 0 ? $"{party.Role} {party.ProfessionalId} ({party.AgencyId})".TrimStart() : party.AgencyId;

    /// <summary>The category in words: CATEGORY_CASE_CLOSURE reads "case closure".</summary>
    private static string CategoryText(ChallengeRaised raised)
    {
        var words = CategoryDescriptor.FindValueByNumber((int)raised.Category)?.Name["CATEGORY_".Length..].Replace('_', ' ').ToLowerInvariant()
            ?? raised.Category.ToString();
        return raised.Category == Category.Other ? $"{words} ({raised.CategoryDetail})" : words;
    }
}
