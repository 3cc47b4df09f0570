using Disputes.Records.Domain;
using Disputes.V1.Events;

namespace Disputes.UnitTests;

public sealed class RecordDeduplicationTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 24, 12, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan Retention = TimeSpan.FromDays(30);

    [Fact]
    public void A_challenge_change_is_told_apart_by_its_version_however_old()
    {
        Assert.False(RecordDeduplication.MayBeForgotten(new ChallengeEscalated(), Now.AddYears(-2), Now, Retention));
        Assert.False(RecordDeduplication.MayBeForgotten(new ChallengeRaised(), Now.AddYears(-2), Now, Retention));
    }

    [Fact]
    public void An_event_without_a_challenge_version_is_checked_against_the_entries_only_once_its_id_may_be_forgotten()
    {
        var routed = new ResponsiblePartiesRouted();
        Assert.False(RecordDeduplication.MayBeForgotten(routed, Now.AddDays(-1), Now, Retention));
        Assert.False(RecordDeduplication.MayBeForgotten(routed, Now - Retention + RecordDeduplication.ClockAllowance + TimeSpan.FromMinutes(1), Now, Retention));
        // Within the clock allowance of the retention: its id may already be forgotten.
        Assert.True(RecordDeduplication.MayBeForgotten(routed, Now - Retention + RecordDeduplication.ClockAllowance, Now, Retention));
        Assert.True(RecordDeduplication.MayBeForgotten(new NotificationDelivered(), Now.AddDays(-40), Now, Retention));
        Assert.True(RecordDeduplication.MayBeForgotten(new TimescaleMissed(), Now.AddDays(-40), Now, Retention));
        Assert.True(RecordDeduplication.MayBeForgotten(new IndependentChairAppointed(), Now.AddDays(-40), Now, Retention));
    }
}
