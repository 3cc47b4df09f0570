using Disputes.ServiceDefaults.Grpc;
using Grpc.Core;
using Microsoft.AspNetCore.Http;

namespace Disputes.ServiceDefaults.Identity;

/// <summary>
/// A call refused before it reached an API method (no token, a bad one, over a limit): gRPC
/// callers get the exact status, REST callers the HTTP status with a <c>google.rpc.Status</c>
/// JSON body, as the services answer their own errors. The message never names the resource.
/// </summary>
public static class RefusalResponses
{
    public static Task WriteAsync(HttpContext context, StatusCode code, int httpStatus, string message)
    {
        if (GrpcHttpResponses.IsGrpc(context.Request))
            return GrpcHttpResponses.WriteStatusAsync(context.Response, code, message);
        context.Response.StatusCode = httpStatus;
        return context.Response.WriteAsJsonAsync(new RestStatus((int)code, message, []));
    }

    private sealed record RestStatus(int Code, string Message, object[] Details);
}
