using Disputes.Records.Domain;
using Disputes.Records.Storage;
using Disputes.ServiceDefaults.Grpc;
using Disputes.V1;
using Google.Protobuf.WellKnownTypes;

namespace Disputes.Records.Recording;

/// <summary>One purge of every record past its retention: the challenges purged and those kept under legal hold.</summary>
public interface IExpiredRecordPurge
{
    Task<(IReadOnlyList<string> Purged, IReadOnlyList<string> Held)> PurgeExpiredAsync(CancellationToken cancellationToken);
}

/// <summary>
/// Purges the narrative of closed records past their retention, unless on legal hold: a PURGED
/// entry is appended first (the audited stub), then every entry keeps its hashes and loses its
/// summary and meeting, so the chain still verifies.
/// </summary>
public sealed partial class RecordPurge(RecordStore store, RetentionStore retention, RetentionRules rules, TimeProvider timeProvider, ILogger<RecordPurge> logger)
    : IExpiredRecordPurge
{
    private const int MaxAttempts = 16;

    public async Task<(IReadOnlyList<string> Purged, IReadOnlyList<string> Held)> PurgeExpiredAsync(CancellationToken cancellationToken)
    {
        var now = timeProvider.GetUtcNow();
        var purged = new List<string>();
        var held = new List<string>();
        await foreach (var id in retention.ChallengeIdsAsync().WithCancellation(cancellationToken))
        {
            var state = await store.GetStateAsync(id);
            if (state is null || !rules.HasExpired(state, now))
                continue;
            var entries = await store.ListAsync(id);
            if (entries.All(e => e.PurgeTime is not null || e.Kind == RecordEntryKind.Purged))
                continue;
            if (await retention.GetHoldAsync(id) is { Hold: true })
            {
                held.Add(ResourceNames.Challenge(id));
                continue;
            }
            if (await PurgeAsync(id, state, now))
                purged.Add(ResourceNames.Challenge(id));
        }
        return (purged, held);
    }

    private async Task<bool> PurgeAsync(string id, DisputeRecord state, DateTimeOffset now)
    {
        var stub = new RecordEntry
        {
            Kind = RecordEntryKind.Purged,
            Stage = state.Stage,
            ManagementTier = state.ManagementTier,
            OccurTime = Timestamp.FromDateTimeOffset(now),
            Summary = $"The narrative of this record was purged under its retention rule: the challenge closed {state.ClosedTime:yyyy-MM-dd} and was kept"
                + $" {Math.Max(rules.YearsFor(state.RaisingAgencyId), rules.YearsFor(state.ReceivingAgencyId))} years. Every entry keeps its hashes.",
        };
        for (var attempt = 0; attempt < MaxAttempts; attempt++)
        {
            var (head, current) = await store.ReadAsync(id);
            // A purge cut short after its stub (the stub's source may be forgotten by the next run) adds none again.
            if ((await store.ListAsync(id)).Any(e => e.Kind == RecordEntryKind.Purged))
                break;
            var result = await store.TryAppendAsync(id, head, stub, new AppendOptions { SourceKey = $"purge:{id}", State = current ?? state });
            if (result.Status != AppendStatus.Conflict)
                break;
            await RecordStore.BackOffAsync(attempt);
        }
        for (var attempt = 0; attempt < MaxAttempts; attempt++)
        {
            var (head, _) = await store.ReadAsync(id);
            if (head is not null && await retention.TryPurgeAsync(id, head, await store.ListAsync(id), now))
            {
                LogPurged(id);
                return true;
            }
            await RecordStore.BackOffAsync(attempt);
        }
        return false;
    }

    [LoggerMessage(LogLevel.Information, "Purged the expired narrative of the record of {ChallengeId}")]
    private partial void LogPurged(string challengeId);
}
