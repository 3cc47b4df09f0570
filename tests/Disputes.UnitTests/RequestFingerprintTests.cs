using Disputes.Challenge.Domain;
using Disputes.ServiceDefaults.Identity;
using Disputes.V1;

namespace Disputes.UnitTests;

/// <summary>Issue 6, finding 10: request ids are structured keys, and a replay compares the request.</summary>
public class RequestFingerprintTests
{
    private static Caller C(string id, string agency) => new(id, agency, new HashSet<string>());

    [Fact]
    public void Parts_that_concatenate_alike_give_different_keys()
    {
        Assert.NotEqual(RequestFingerprint.KeyOf("a:b", "c"), RequestFingerprint.KeyOf("a", "b:c"));
        Assert.NotEqual(RequestFingerprint.KeyOf("ab", ""), RequestFingerprint.KeyOf("a", "b"));

        var request = new AcknowledgeChallengeRequest();
        var colonInAgency = RequestFingerprint.For(ChallengeCommand.Acknowledge, "X", C("p", "police:pc"), "1", request)!;
        var colonInProfessional = RequestFingerprint.For(ChallengeCommand.Acknowledge, "X", C("pc:p", "police"), "1", request)!;
        Assert.NotEqual(colonInAgency.Key, colonInProfessional.Key);
    }

    [Fact]
    public void The_key_is_per_challenge_command_and_caller()
    {
        var request = new WithdrawChallengeRequest { Reason = "r" };
        var keys = new[]
        {
            RequestFingerprint.For(ChallengeCommand.Withdraw, "A", C("p", "police"), "1", request)!.Key,
            RequestFingerprint.For(ChallengeCommand.Withdraw, "B", C("p", "police"), "1", request)!.Key,
            RequestFingerprint.For(ChallengeCommand.Resolve, "A", C("p", "police"), "1", request)!.Key,
            RequestFingerprint.For(ChallengeCommand.Withdraw, "A", C("q", "police"), "1", request)!.Key,
        };
        Assert.Equal(keys.Length, keys.Distinct().Count());
    }

    [Fact]
    public void The_same_id_with_another_body_has_another_request_hash_and_no_id_means_no_replay()
    {
        var first = RequestFingerprint.For(ChallengeCommand.Withdraw, "A", C("p", "police"), "1", new WithdrawChallengeRequest { Reason = "r" })!;
        var same = RequestFingerprint.For(ChallengeCommand.Withdraw, "A", C("p", "police"), "1", new WithdrawChallengeRequest { Reason = "r" })!;
        var other = RequestFingerprint.For(ChallengeCommand.Withdraw, "A", C("p", "police"), "1", new WithdrawChallengeRequest { Reason = "s" })!;

        Assert.Equal(first, same);
        Assert.Equal(first.Key, other.Key);
        Assert.NotEqual(first.RequestHash, other.RequestHash);
        Assert.Null(RequestFingerprint.For(ChallengeCommand.Withdraw, "A", C("p", "police"), "", new WithdrawChallengeRequest()));
    }
}
