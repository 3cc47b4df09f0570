namespace Disputes.IntegrationTests;

/// <summary>
/// The trait of the tests left out of the Redis Cluster run (scripts/test.sh filters on it): they start
/// and kill, pause or lock down a single redis-server of their own, so a cluster run would only repeat
/// them, or they load a scale the run's time budget keeps to the single-server run.
/// </summary>
public static class RedisTopology
{
    public const string Trait = "Redis";

    public const string SingleServerOnly = "single-server-only";
}
