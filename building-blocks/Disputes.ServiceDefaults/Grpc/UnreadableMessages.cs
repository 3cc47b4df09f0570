using System.Buffers;
using System.Buffers.Binary;
using System.Reflection;
using Google.Protobuf;
using Google.Protobuf.Reflection;
using Grpc.AspNetCore.Server;
using Grpc.Core;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Disputes.ServiceDefaults.Grpc;

/// <summary>
/// A gRPC request whose bytes are not a message of the method's request type is answered
/// INVALID_ARGUMENT. gRPC reads the request before any interceptor runs and reports a failed
/// parse as UNKNOWN ("Exception was thrown by handler"), which says "our fault" for the caller's.
/// </summary>
public static class UnreadableMessages
{
    private const int PrefixLength = 5;

    /// <summary>An endpoint convention: wraps each gRPC method's handler with the check.</summary>
    public static void Refuse(EndpointBuilder endpoint)
    {
        if (endpoint.Metadata.OfType<GrpcMethodMetadata>().FirstOrDefault() is not { } grpc
            || grpc.Method.GetType().GetGenericArguments() is not [var requestType, _]
            || requestType.GetProperty("Descriptor", BindingFlags.Public | BindingFlags.Static)?.GetValue(null) is not MessageDescriptor descriptor
            || endpoint.RequestDelegate is not { } handler)
            return;

        endpoint.RequestDelegate = async context =>
        {
            if (GrpcHttpResponses.IsGrpc(context.Request) && !await IsReadableAsync(context.Request, descriptor, context.RequestAborted))
            {
                await GrpcHttpResponses.WriteStatusAsync(context.Response, StatusCode.InvalidArgument,
                    $"The request is not a {descriptor.FullName} message.");
                return;
            }
            await handler(context);
        };
    }

    /// <summary>Parses the first message without consuming it; what it cannot judge (compressed, oversized, cut short) gRPC answers itself.</summary>
    private static async Task<bool> IsReadableAsync(HttpRequest request, MessageDescriptor descriptor, CancellationToken cancellationToken)
    {
        var reader = request.BodyReader;
        var buffer = (await reader.ReadAtLeastAsync(PrefixLength, cancellationToken)).Buffer;
        var length = MessageLength(buffer);
        if (length is { } needed && buffer.Length < PrefixLength + needed)
        {
            reader.AdvanceTo(buffer.Start, buffer.End);
            buffer = (await reader.ReadAtLeastAsync(PrefixLength + needed, cancellationToken)).Buffer;
        }
        var readable = length is not { } complete || buffer.Length < PrefixLength + complete || Parses(descriptor, buffer.Slice(PrefixLength, complete));
        // Nothing consumed: gRPC reads the message from its start.
        reader.AdvanceTo(buffer.Start);
        return readable;
    }

    /// <summary>The length of an uncompressed first message within the limit, or null.</summary>
    private static int? MessageLength(ReadOnlySequence<byte> buffer)
    {
        if (buffer.Length < PrefixLength)
            return null;
        Span<byte> prefix = stackalloc byte[PrefixLength];
        buffer.Slice(0, PrefixLength).CopyTo(prefix);
        var length = BinaryPrimitives.ReadUInt32BigEndian(prefix[1..]);
        return prefix[0] == 0 && length <= GrpcExtensions.MaxMessageBytes ? (int)length : null;
    }

    private static bool Parses(MessageDescriptor descriptor, ReadOnlySequence<byte> message)
    {
        try
        {
            descriptor.Parser.ParseFrom(message);
            return true;
        }
        catch (InvalidProtocolBufferException)
        {
            return false;
        }
    }
}
