using Disputes.Records.Domain;
using Disputes.ServiceDefaults.Grpc;
using Disputes.V1;
using Grpc.Core;
using Microsoft.Extensions.Options;

namespace Disputes.Records.Witness;

/// <summary>
/// Asks the escalation service for the latest head it witnessed of a record, with a short deadline.
/// A witness that cannot be asked never fails a verification: the answer says why it is unavailable.
/// </summary>
public sealed partial class RecordWitnessClient(IServiceProvider services, IOptions<RecordWitnessOptions> options, ILogger<RecordWitnessClient> logger)
{
    /// <summary>The witnessed head (null when the witness holds none yet), or why the witness could not be asked.</summary>
    public async Task<(WitnessedHead? Head, string? Unavailable)> AskAsync(string challengeId, CancellationToken cancellationToken)
    {
        if (services.GetService<EscalationService.EscalationServiceClient>() is not { } client)
            return (null, "No witness is configured (Records:Witness:Address).");
        try
        {
            var witness = await client.GetRecordWitnessAsync(
                new GetRecordWitnessRequest { Name = ResourceNames.Challenge(challengeId) + "/recordWitness" },
                deadline: DateTime.UtcNow + options.Value.Deadline, cancellationToken: cancellationToken);
            return (new WitnessedHead(witness.Sequence, witness.HeadHash), null);
        }
        catch (RpcException e) when (e.StatusCode == StatusCode.NotFound)
        {
            return (null, null);
        }
        catch (RpcException e) when (!cancellationToken.IsCancellationRequested)
        {
            LogUnavailable(e, challengeId, e.StatusCode);
            return (null, $"The witness could not be asked ({e.StatusCode}).");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // The token file could not be read: the verification stands without the witness.
            LogUnavailable(e, challengeId, StatusCode.Unauthenticated);
            return (null, "The witness could not be asked (records' token could not be read).");
        }
    }

    [LoggerMessage(LogLevel.Warning, "The witness of the record of {ChallengeId} could not be asked: {Status}")]
    private partial void LogUnavailable(Exception exception, string challengeId, StatusCode status);
}
