using System.Collections.Concurrent;
using Disputes.Escalation.Domain;
using Disputes.Escalation.Storage;
using Disputes.V1;
using Microsoft.Extensions.Options;

namespace Disputes.Escalation.Application;

/// <summary>Which policy new challenges are raised under.</summary>
public sealed class EscalationOptions
{
    public const string SectionName = "Escalation";

    /// <summary>The policy new challenges are raised under (its newest version at the raise).</summary>
    public string Policy { get; set; } = "default";

    /// <summary>A YAML file of agencies and professionals loaded at start when they are missing; empty for none.</summary>
    public string DirectoryFile { get; set; } = "";

    /// <summary>The longest the timer poller waits before looking again (other replicas may set sooner timers).</summary>
    public TimeSpan TimerPollInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Timers fired per round.</summary>
    public int TimerBatchSize { get; set; } = 100;
}

/// <summary>Policy versions, which never change once written, read once and kept.</summary>
public sealed class PolicyCatalog(PolicyStore store, IOptions<EscalationOptions> options)
{
    private readonly ConcurrentDictionary<(string, int), TimescalePolicy> _versions = new();

    /// <summary>The newest version of the policy new challenges are raised under.</summary>
    public async Task<TimescalePolicy> CurrentAsync()
    {
        var policyId = options.Value.Policy;
        return await store.GetAsync(policyId, 0)
            ?? (policyId == "default" ? TimescalePolicies.Default : throw new InvalidOperationException($"The timescale policy \"{policyId}\" has no version."));
    }

    /// <summary>The version an escalation names ("timescalePolicies/{policy}@{version}").</summary>
    public async Task<TimescalePolicy> VersionAsync(string versionName)
    {
        if (!TimescalePolicies.TryParseVersionName(versionName, out var policyId, out var version))
            throw new InvalidOperationException($"\"{versionName}\" does not name a policy version.");
        if (_versions.TryGetValue((policyId, version), out var cached))
            return cached;
        var policy = await store.GetAsync(policyId, version)
            ?? (policyId == "default" && version == 1 ? TimescalePolicies.Default : throw new InvalidOperationException($"{versionName} is not stored."));
        _versions.TryAdd((policyId, version), policy);
        return policy;
    }
}
