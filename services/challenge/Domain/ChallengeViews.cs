using Disputes.ServiceDefaults.Identity;
using Disputes.V1;

namespace Disputes.Challenge.Domain;

/// <summary>What of a challenge each caller may see (the permission table is <see cref="DisputeAccess"/>).</summary>
public static class ChallengeViews
{
    public static DisputeParties PartiesOf(V1.Challenge challenge) =>
        new(challenge.RaisingParty?.AgencyId ?? "", challenge.ReceivingParty?.AgencyId ?? "");

    /// <summary>Support engineers see ids, stages, times and trace ids: the narrative and the child are removed.</summary>
    public static V1.Challenge ForSupport(V1.Challenge challenge)
    {
        var redacted = challenge.Clone();
        redacted.Child = new ChildReference();
        redacted.CategoryDetail = "";
        redacted.Subject = "";
        redacted.UnsafePracticeReason = "";
        redacted.DesiredChange = "";
        redacted.ImpactOnChild = "";
        redacted.Resolution = null;
        return redacted;
    }
}
