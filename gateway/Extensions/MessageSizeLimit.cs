using System.Buffers;
using System.Buffers.Binary;
using Disputes.ServiceDefaults.Grpc;
using Disputes.ServiceDefaults.Identity;
using Grpc.Core;
using Microsoft.AspNetCore.Http.Features;
using Yarp.ReverseProxy.Forwarder;

namespace Disputes.Gateway.Extensions;

/// <summary>
/// Refuses a message over the limit before anything is forwarded: RESOURCE_EXHAUSTED for gRPC,
/// 413 for REST. For gRPC the gateway reads the 5-byte prefix of the first message itself,
/// consuming nothing (every RPC's client sends its request first); the services apply the same
/// limit to every message. Every body, gRPC or REST, is also held to Kestrel's limit (see
/// GrpcExtensions.LimitRequestBodies); a REST body that runs over it while being forwarded is
/// answered 413 here, which the proxy would otherwise report as a bare 400.
/// </summary>
public sealed class MessageSizeLimit(RequestDelegate next, int maxMessageBytes)
{
    private const int PrefixLength = 5;

    public async Task InvokeAsync(HttpContext context)
    {
        if (GrpcHttpResponses.IsGrpc(context.Request))
        {
            KeepWholeBodyLimit(context);
            if (await FirstMessageLengthAsync(context.Request, context.RequestAborted) > maxMessageBytes)
            {
                await RefuseAsync(context);
                return;
            }
            await next(context);
            return;
        }

        await next(context);
        // A chunked body that ran over the limit while being forwarded.
        if (context.GetForwarderErrorFeature() is not null && context.Response is { StatusCode: StatusCodes.Status413PayloadTooLarge, HasStarted: false })
            await RefuseAsync(context);
    }

    /// <summary>
    /// Every RPC of the API takes one request message, so Kestrel's whole-body limit stays on for gRPC
    /// too. The proxy lifts it for a streaming request (gRPC is one to it) and, once reading the prefix
    /// has made it read-only, would log a warning on every call: it is shown a limit that keeps its
    /// value and ignores the lift (Kestrel enforces its own copy either way).
    /// </summary>
    private static void KeepWholeBodyLimit(HttpContext context)
    {
        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { } limit)
            context.Features.Set<IHttpMaxRequestBodySizeFeature>(new KeptBodyLimit(limit));
    }

    private sealed class KeptBodyLimit(IHttpMaxRequestBodySizeFeature limit) : IHttpMaxRequestBodySizeFeature
    {
        public bool IsReadOnly => false;

        public long? MaxRequestBodySize
        {
            get => limit.MaxRequestBodySize;
            set { }
        }
    }

    private Task RefuseAsync(HttpContext context) => RefusalResponses.WriteAsync(context, StatusCode.ResourceExhausted,
        StatusCodes.Status413PayloadTooLarge, $"The message is larger than {maxMessageBytes} bytes.");

    private static async Task<long> FirstMessageLengthAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        var reader = request.BodyReader;
        var result = await reader.ReadAtLeastAsync(PrefixLength, cancellationToken);
        var buffer = result.Buffer;
        long length = 0;
        if (buffer.Length >= PrefixLength)
        {
            Span<byte> prefix = stackalloc byte[PrefixLength];
            buffer.Slice(0, PrefixLength).CopyTo(prefix);
            length = BinaryPrimitives.ReadUInt32BigEndian(prefix[1..]);
        }
        // Nothing consumed: the proxy reads the body from its start.
        reader.AdvanceTo(buffer.Start);
        return length;
    }
}
