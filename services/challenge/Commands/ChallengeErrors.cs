using Google.Protobuf.WellKnownTypes;
using Google.Rpc;
using Grpc.Core;

namespace Disputes.Challenge.Commands;

/// <summary>The refusals particular to challenge commands; the common ones are RpcErrors.</summary>
public static class ChallengeErrors
{
    public const string RequestIdReused = "REQUEST_ID_REUSED";

    /// <summary>The same request_id (same caller, command, challenge) came with a different request: a client bug.</summary>
    public static RpcException RequestIdReusedWithAnotherRequest() =>
        new Google.Rpc.Status
        {
            Code = (int)Code.AlreadyExists,
            Message = "This request_id was already used for a different request; use a new request_id for a new request.",
            Details = { Any.Pack(new ErrorInfo { Reason = RequestIdReused, Domain = "disputes.v1" }) },
        }.ToRpcException();
}
