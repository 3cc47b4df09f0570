using Disputes.V1;

namespace Disputes.Tools;

/// <summary>Valid raises: every field the service requires, a different receiving agency, a fresh request id.</summary>
public static class RaiseRequests
{
    private static readonly Category[] Categories =
    [
        Category.ReferralResponse, Category.RolesAndResponsibilities, Category.NeedForAction,
        Category.ProgressingPlans, Category.ProvisionOfServices, Category.CaseClosure,
    ];

    private static long _sequence;

    public static RaiseChallengeRequest For(LoadCaller caller)
    {
        var n = Interlocked.Increment(ref _sequence);
        return new RaiseChallengeRequest
        {
            // Unique per call: a repeated id would be answered from the idempotency record, not raised.
            RequestId = Guid.NewGuid().ToString(),
            Challenge = new Challenge
            {
                RaisingParty = new Party { Role = "social worker" },
                ReceivingParty = new Party { AgencyId = caller.ReceivingAgencyId, Role = "duty officer" },
                Child = new ChildReference { Reference = $"load-child-{n % 10_000:D5}" },
                Category = Categories[n % Categories.Length],
                Subject = "Referral closed without a strategy discussion.",
                UnsafePracticeReason = "Injuries were reported twice this month and no assessment followed.",
                DesiredChange = "A strategy discussion this week and a single assessment.",
                ImpactOnChild = "The child remains at home with the reported risk unassessed.",
            },
        };
    }
}
