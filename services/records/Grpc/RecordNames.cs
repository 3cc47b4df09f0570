using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Disputes.ServiceDefaults.Grpc;
using Disputes.ServiceDefaults.Identity;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Google.Rpc;
using Grpc.Core;

namespace Disputes.Records.Grpc;

/// <summary>Resource names under a challenge's record, and the keys of retried requests.</summary>
public static class RecordNames
{
    public const string Entries = "entries";
    public const string MinutesDrafts = "minutesDrafts";
    public const int MaxRequestId = 100;

    /// <summary>(challenge id, child id) of "challenges/{challenge}/{collection}/{id}"; INVALID_ARGUMENT on <paramref name="field"/> otherwise.</summary>
    public static (string ChallengeId, string Id) Parse(string? name, string collection, string field)
    {
        var parts = name?.Split('/');
        if (parts is { Length: 4 } && parts[0] == ResourceNames.ChallengesCollection && parts[2] == collection
            && SortableId.IsValid(parts[1]) && SortableId.IsValid(parts[3]))
            return (parts[1], parts[3]);
        throw RpcErrors.InvalidArgument(field, $"must be a resource name of the form \"challenges/{{challenge}}/{collection}/{{id}}\"");
    }

    public static string Draft(string challengeId, string draftId) => $"{ResourceNames.Challenge(challengeId)}/{MinutesDrafts}/{draftId}";

    /// <summary>
    /// The key of a retried request: its parts as a JSON array, hashed, so no two different
    /// tuples of free text can make the same key.
    /// </summary>
    public static string RequestKey(string challengeId, string method, Caller caller, string requestId) =>
        "request:" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(
            JsonSerializer.Serialize(new[] { challengeId, method, caller.AgencyId, caller.ProfessionalId, requestId }))));

    public static string Fingerprint(IMessage request) => Convert.ToHexStringLower(SHA256.HashData(request.ToByteArray()));

    /// <summary>The same request id with a different request: a client bug, not a state of the record.</summary>
    public static RpcException RequestIdReused(string requestId)
    {
        var status = new Google.Rpc.Status
        {
            Code = (int)Code.AlreadyExists,
            Message = $"request_id \"{requestId}\" was already used for a different request.",
        };
        status.Details.Add(Any.Pack(new ErrorInfo { Reason = "REQUEST_ID_REUSED", Domain = "disputes.v1" }));
        return status.ToRpcException();
    }
}
