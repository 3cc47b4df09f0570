namespace Disputes.ServiceDefaults.Health;

public static class HealthTags
{
    /// <summary>Checks that only say the process is alive; everything else is a readiness check.</summary>
    public const string Live = "live";
}
