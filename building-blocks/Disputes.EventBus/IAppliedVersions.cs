using System.Collections.Concurrent;

namespace Disputes.EventBus;

/// <summary>
/// The last challenge <c>version</c> a consumer applied, per challenge, as events.proto promises
/// consumers can check: an event whose version is not newer than what was applied is stale (a
/// redelivery or an older event arriving late) and is skipped.
/// </summary>
public interface IAppliedVersions
{
    /// <summary>The last version applied for the challenge; 0 when none was.</summary>
    Task<long> GetAsync(string challengeId);

    /// <summary>
    /// Atomically records <paramref name="version"/> as applied if it is newer than the last one,
    /// and says whether it was: <c>false</c> means the event is stale and must not be applied.
    /// </summary>
    Task<bool> TryAdvanceAsync(string challengeId, long version);
}

public sealed class InMemoryAppliedVersions : IAppliedVersions
{
    private readonly ConcurrentDictionary<string, long> _versions = new(StringComparer.Ordinal);

    public Task<long> GetAsync(string challengeId) => Task.FromResult(_versions.GetValueOrDefault(challengeId));

    public Task<bool> TryAdvanceAsync(string challengeId, long version)
    {
        while (true)
        {
            var current = _versions.GetValueOrDefault(challengeId);
            if (version <= current)
                return Task.FromResult(false);
            if (current == 0 ? _versions.TryAdd(challengeId, version) : _versions.TryUpdate(challengeId, version, current))
                return Task.FromResult(true);
        }
    }
}
