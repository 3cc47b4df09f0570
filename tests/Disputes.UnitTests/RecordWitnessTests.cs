using Disputes.Escalation.Witness;
using Disputes.Procedure;
using Disputes.Records.Domain;
using Disputes.ServiceDefaults.Identity;
using Disputes.V1;
using Disputes.V1.Events;
using Google.Protobuf.WellKnownTypes;

namespace Disputes.UnitTests;

/// <summary>The record compared with the head another service witnessed, and what that witness keeps and shows.</summary>
public class RecordWitnessTests
{
    private static List<RecordEntry> Chain(int length)
    {
        var entries = new List<RecordEntry>();
        for (var i = 1; i <= length; i++)
        {
            var entry = new RecordEntry { Name = $"challenges/c/entries/{i}", Sequence = i, Kind = RecordEntryKind.Discussion, Summary = $"discussion {i}" };
            entries.Add(RecordChain.Seal(entry, entries.Count == 0 ? "" : entries[^1].Hash));
        }
        return entries;
    }

    private static WitnessedHead HeadOf(List<RecordEntry> entries, int sequence) => new(sequence, entries[sequence - 1].Hash);

    [Fact]
    public void A_witness_of_the_last_entry_matches()
    {
        var entries = Chain(5);
        var check = RecordWitnessCheck.Compare(entries, HeadOf(entries, 5));
        Assert.Equal(WitnessStatus.Matches, check.Status);
        Assert.Equal(5, check.WitnessedSequence);
        Assert.Null(check.Problem);
    }

    [Fact]
    public void A_witness_of_an_earlier_entry_is_behind_not_a_problem()
    {
        var entries = Chain(5);
        var check = RecordWitnessCheck.Compare(entries, HeadOf(entries, 3));
        Assert.Equal(WitnessStatus.Behind, check.Status);
        Assert.Equal(3, check.WitnessedSequence);
        Assert.Null(check.Problem);
    }

    [Fact]
    public void No_witness_yet_is_behind_for_a_record_with_entries_and_matches_an_empty_one()
    {
        Assert.Equal(WitnessStatus.Behind, RecordWitnessCheck.Compare(Chain(2), null).Status);
        Assert.Equal(WitnessStatus.Matches, RecordWitnessCheck.Compare([], null).Status);
    }

    [Fact]
    public void A_record_rolled_back_below_its_witness_is_ahead_of_record_with_the_missing_tail()
    {
        var genuine = Chain(7);
        var rolledBack = genuine.Take(4).ToList();

        var check = RecordWitnessCheck.Compare(rolledBack, HeadOf(genuine, 7));

        Assert.Equal(WitnessStatus.AheadOfRecord, check.Status);
        Assert.Equal(7, check.WitnessedSequence);
        Assert.Equal(4, check.MissingAfterSequence);
        Assert.Contains("sequence 7", check.Problem);
    }

    [Fact]
    public void A_deleted_record_is_ahead_of_record_from_nothing()
    {
        var check = RecordWitnessCheck.Compare([], HeadOf(Chain(3), 3));
        Assert.Equal(WitnessStatus.AheadOfRecord, check.Status);
        Assert.Equal(0, check.MissingAfterSequence);
    }

    [Fact]
    public void A_record_rewritten_at_the_witnessed_sequence_is_caught_and_names_the_entry()
    {
        var genuine = Chain(5);
        var rewritten = Chain(3);
        for (var i = 4; i <= 6; i++)
            rewritten.Add(RecordChain.Seal(new RecordEntry { Name = $"challenges/c/entries/x{i}", Sequence = i, Summary = "rewritten" }, rewritten[^1].Hash));

        var check = RecordWitnessCheck.Compare(rewritten, HeadOf(genuine, 5));

        Assert.Equal(WitnessStatus.AheadOfRecord, check.Status);
        Assert.Equal("challenges/c/entries/x5", check.BrokenEntry);
        Assert.Null(check.MissingAfterSequence);
    }

    [Fact]
    public void An_unavailable_witness_says_why_and_holds_nothing()
    {
        var check = WitnessCheck.Unavailable("down");
        Assert.Equal(WitnessStatus.Unavailable, check.Status);
        Assert.Equal(0, check.WitnessedSequence);
        Assert.Null(check.Problem);
        Assert.Equal("down", check.Reason);
    }

    private const string Challenge = "challenges/01JD0000000000000000000000";

    private static RecordHeadAdvanced Head(long sequence = 3) => new()
    {
        Challenge = Challenge,
        Version = sequence,
        Sequence = sequence,
        HeadHash = new string('a', 64),
        Entry = Challenge + "/entries/01JD0000000000000000000009",
        OccurTime = Timestamp.FromDateTimeOffset(new DateTimeOffset(2026, 3, 2, 9, 0, 0, TimeSpan.Zero)),
    };

    [Fact]
    public void The_witness_keeps_ids_and_hashes_of_a_well_formed_head()
    {
        var now = new DateTimeOffset(2026, 3, 2, 10, 0, 0, TimeSpan.Zero);
        var witness = RecordWitnesses.From(Head(), now, out var id);
        Assert.NotNull(witness);
        Assert.Equal("01JD0000000000000000000000", id);
        Assert.Equal(Challenge + "/recordWitness", witness.Name);
        Assert.Equal(3, witness.Sequence);
        Assert.Equal(new string('a', 64), witness.HeadHash);
        Assert.Equal(now, witness.WitnessTime.ToDateTimeOffset());
    }

    public static TheoryData<string> MalformedHeads => ["challenge", "sequence", "hash", "entry"];

    [Theory]
    [MemberData(nameof(MalformedHeads))]
    public void A_head_the_records_service_could_not_have_published_is_ignored(string broken)
    {
        var head = Head();
        switch (broken)
        {
            case "challenge": head.Challenge = "challenges/not-an-id"; break;
            case "sequence": head.Sequence = 0; break;
            case "hash": head.HeadHash = "ZZ"; break;
            case "entry": head.Entry = "challenges/01JD0000000000000000000001/entries/x"; break;
        }
        Assert.Null(RecordWitnesses.From(head, DateTimeOffset.UnixEpoch, out _));
    }

    [Fact]
    public void Only_the_records_service_the_partnership_and_support_read_a_witness()
    {
        static Caller As(string role) => new("p", "a", new HashSet<string> { role });
        Assert.True(RecordWitnesses.MayRead(As(DisputeRoles.RecordsService)));
        Assert.True(RecordWitnesses.MayRead(As(DisputeRoles.Partnership)));
        Assert.True(RecordWitnesses.MayRead(As(DisputeRoles.Support)));
        foreach (var role in new[] { DisputeRoles.Practitioner, DisputeRoles.SeniorManager, DisputeRoles.IndependentChair, DisputeRoles.IndependentReviewingOfficer })
            Assert.False(RecordWitnesses.MayRead(As(role)));
    }
}
