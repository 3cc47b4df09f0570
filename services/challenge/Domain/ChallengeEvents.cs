using Disputes.V1.Events;

namespace Disputes.Challenge.Domain;

/// <summary>The integration event a raise publishes; the other commands' events are built by <see cref="ChallengeAggregate"/>.</summary>
public static class ChallengeEvents
{
    public static ChallengeRaised Raised(V1.Challenge challenge) => new()
    {
        Challenge = challenge.Name,
        Version = challenge.Version,
        OccurTime = challenge.CreateTime,
        RaisingParty = challenge.RaisingParty,
        ReceivingParty = challenge.ReceivingParty,
        Child = challenge.Child,
        Category = challenge.Category,
        CategoryDetail = challenge.CategoryDetail,
        Subject = challenge.Subject,
        UnsafePracticeReason = challenge.UnsafePracticeReason,
        DesiredChange = challenge.DesiredChange,
        ImpactOnChild = challenge.ImpactOnChild,
        RaisedInMeeting = challenge.RaisedInMeeting,
    };
}
