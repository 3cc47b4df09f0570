using Grpc.Core;
using Microsoft.AspNetCore.Http;

namespace Disputes.ServiceDefaults.Grpc;

/// <summary>
/// Answers a gRPC request refused before it reached a gRPC method (no token, rate limited)
/// with a proper trailers-only gRPC response, so clients see the exact status code.
/// </summary>
public static class GrpcHttpResponses
{
    public static bool IsGrpc(HttpRequest request) =>
        request.ContentType?.StartsWith("application/grpc", StringComparison.OrdinalIgnoreCase) == true;

    public static Task WriteStatusAsync(HttpResponse response, StatusCode code, string message)
    {
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = "application/grpc";
        response.Headers["grpc-status"] = ((int)code).ToString(System.Globalization.CultureInfo.InvariantCulture);
        response.Headers["grpc-message"] = Uri.EscapeDataString(message);
        return response.CompleteAsync();
    }
}
