using System.Diagnostics.CodeAnalysis;
using Disputes.Procedure;
using Disputes.ServiceDefaults.Identity;
using Disputes.V1;
using Disputes.V1.Events;

namespace Disputes.Escalation.Witness;

/// <summary>What the witness keeps of a record's head, and who may read it.</summary>
public static class RecordWitnesses
{
    public const string Suffix = "/recordWitness";

    /// <summary>
    /// The witness a head event makes: an allowlist copy of ids and hashes, or null when the event
    /// is not one the records service could have published (never worth a retry).
    /// </summary>
    public static RecordWitness? From(RecordHeadAdvanced @event, DateTimeOffset now, [NotNullWhen(true)] out string? challengeId)
    {
        challengeId = null;
        const string prefix = "challenges/";
        if (!@event.Challenge.StartsWith(prefix, StringComparison.Ordinal))
            return null;
        var id = @event.Challenge[prefix.Length..];
        if (!Disputes.ServiceDefaults.Grpc.SortableId.IsValid(id) || @event.Sequence <= 0 || !IsSha256Hex(@event.HeadHash)
            || !@event.Entry.StartsWith(@event.Challenge + "/entries/", StringComparison.Ordinal) || @event.Entry.Length > 200)
            return null;
        challengeId = id;
        var witness = new RecordWitness
        {
            Name = @event.Challenge + Suffix,
            Sequence = @event.Sequence,
            HeadHash = @event.HeadHash,
            Entry = @event.Entry,
            WitnessTime = Google.Protobuf.WellKnownTypes.Timestamp.FromDateTimeOffset(now),
        };
        if (@event.OccurTime is not null)
            witness.OccurTime = @event.OccurTime;
        return witness;
    }

    /// <summary>The records service (its own identity), the partnership and support: ids and hashes, no narrative.</summary>
    public static bool MayRead(Caller caller) =>
        caller.HasRole(DisputeRoles.RecordsService) || caller.HasRole(DisputeRoles.Partnership) || caller.HasRole(DisputeRoles.Support);

    private static bool IsSha256Hex(string text) =>
        text.Length == 64 && text.All(c => c is >= '0' and <= '9' or >= 'a' and <= 'f');
}
