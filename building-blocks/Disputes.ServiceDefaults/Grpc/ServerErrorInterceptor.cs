using Grpc.Core;
using Grpc.Core.Interceptors;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace Disputes.ServiceDefaults.Grpc;

/// <summary>Turns failures that are not the caller's fault into UNAVAILABLE or INTERNAL, never a bare UNKNOWN.</summary>
public sealed partial class ServerErrorInterceptor(ILogger<ServerErrorInterceptor> logger) : Interceptor
{
    public override async Task<TResponse> UnaryServerHandler<TRequest, TResponse>(TRequest request, ServerCallContext context,
        UnaryServerMethod<TRequest, TResponse> continuation)
    {
        try
        {
            return await continuation(request, context);
        }
        catch (Exception ex) when (Translate(ex, context.Method) is { } translated)
        {
            throw translated;
        }
    }

    public override async Task ServerStreamingServerHandler<TRequest, TResponse>(TRequest request, IServerStreamWriter<TResponse> responseStream,
        ServerCallContext context, ServerStreamingServerMethod<TRequest, TResponse> continuation)
    {
        try
        {
            await continuation(request, responseStream, context);
        }
        catch (Exception ex) when (Translate(ex, context.Method) is { } translated)
        {
            throw translated;
        }
    }

    private RpcException? Translate(Exception exception, string method)
    {
        switch (exception)
        {
            case RpcException:
            case OperationCanceledException:
                return null;
            case RedisException or TimeoutException:
                LogStoreUnavailable(exception, method);
                return RpcErrors.Unavailable("The store is unavailable; retry with backoff.");
            default:
                LogUnexpected(exception, method);
                return RpcErrors.Internal("An unexpected error occurred; it has been logged with this call's trace id.");
        }
    }

    [LoggerMessage(LogLevel.Warning, "{Method}: store unavailable")]
    private partial void LogStoreUnavailable(Exception exception, string method);

    [LoggerMessage(LogLevel.Error, "{Method}: unexpected failure")]
    private partial void LogUnexpected(Exception exception, string method);
}
