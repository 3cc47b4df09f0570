using Google.Protobuf.WellKnownTypes;
using Google.Rpc;
using Grpc.Core;

namespace Disputes.ServiceDefaults.Grpc;

/// <summary>The few ways a call is refused, each as a rich google.rpc.Status.</summary>
public static class RpcErrors
{
    public static RpcException InvalidArgument(IEnumerable<BadRequest.Types.FieldViolation> violations)
    {
        var badRequest = new BadRequest { FieldViolations = { violations } };
        var fields = string.Join(", ", badRequest.FieldViolations.Select(v => v.Field).Distinct());
        return Build(Code.InvalidArgument, $"The request has invalid fields: {fields}.", badRequest);
    }

    public static RpcException InvalidArgument(string field, string description) =>
        InvalidArgument([new BadRequest.Types.FieldViolation { Field = field, Description = description }]);

    public static RpcException NotFound(string resourceName) =>
        Build(Code.NotFound, $"{resourceName} does not exist.",
            new ResourceInfo { ResourceName = resourceName, Description = "not found" });

    public static RpcException PermissionDenied(string message) => Build(Code.PermissionDenied, message);

    public static RpcException FailedPrecondition(string subject, string type, string description) =>
        Build(Code.FailedPrecondition, description,
            new PreconditionFailure { Violations = { new PreconditionFailure.Types.Violation { Subject = subject, Type = type, Description = description } } });

    /// <summary>The etag sent is not the resource's current one: read it again and retry.</summary>
    public static RpcException StaleEtag(string resourceName) =>
        Build(Code.Aborted, $"{resourceName} has changed since it was read; read it again and retry with the new etag.",
            new ErrorInfo { Reason = "STALE_ETAG", Domain = "disputes.v1" });

    public static RpcException Unavailable(string message) => Build(Code.Unavailable, message);

    public static RpcException Internal(string message) => Build(Code.Internal, message);

    private static RpcException Build(Code code, string message, params Google.Protobuf.IMessage[] details)
    {
        var status = new Google.Rpc.Status { Code = (int)code, Message = message };
        status.Details.AddRange(details.Select(Any.Pack));
        return status.ToRpcException();
    }
}
