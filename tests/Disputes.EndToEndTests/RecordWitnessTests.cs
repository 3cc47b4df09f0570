using Disputes.Procedure;
using Disputes.V1;
using Grpc.Core;

namespace Disputes.EndToEndTests;

/// <summary>
/// The witness of record heads across real processes: records publishes each head through its
/// outbox and the bus, escalation keeps it under its own prefix, and VerifyRecord (through the
/// gateway) asks escalation with records' own service token.
/// </summary>
[Collection(SuiteCollection.Name)]
public sealed class RecordWitnessTests(SuiteFixture suite)
{
    private readonly ChallengeService.ChallengeServiceClient _challenges = new(suite.Gateway);
    private readonly RecordsService.RecordsServiceClient _records = new(suite.Gateway);
    private readonly EscalationService.EscalationServiceClient _escalation = new(suite.Gateway);

    [Fact]
    public async Task A_record_matches_the_head_escalation_witnessed()
    {
        var referrer = suite.Bearer("pc-101", "police");
        var raised = await _challenges.RaiseChallengeAsync(DisputeLifecycleTests.NewRaise(), referrer);

        var deadline = DateTime.UtcNow.AddSeconds(20);
        VerifyRecordResponse verified;
        do
        {
            await Task.Delay(100);
            try
            {
                verified = await _records.VerifyRecordAsync(new VerifyRecordRequest { Parent = raised.Name }, referrer);
            }
            catch (RpcException e) when (e.StatusCode == StatusCode.NotFound)
            {
                verified = new VerifyRecordResponse();
            }
        }
        while (verified.Witness != WitnessStatus.Matches && DateTime.UtcNow < deadline);

        Assert.True(verified.Intact, string.Join(" ", verified.Problems));
        Assert.Equal(WitnessStatus.Matches, verified.Witness);
        Assert.Equal(verified.HeadSequence, verified.WitnessedSequence);

        var request = new GetRecordWitnessRequest { Name = raised.Name + "/recordWitness" };
        var witness = await _escalation.GetRecordWitnessAsync(request, suite.Bearer("scp-1", "partnership", DisputeRoles.Partnership));
        Assert.True(witness.Sequence >= verified.WitnessedSequence);
        Assert.Equal(64, witness.HeadHash.Length);
        var denied = await Assert.ThrowsAsync<RpcException>(() => _escalation.GetRecordWitnessAsync(request, referrer).ResponseAsync);
        Assert.Equal(StatusCode.PermissionDenied, denied.StatusCode);
    }
}
