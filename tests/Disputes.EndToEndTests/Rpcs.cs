using Disputes.V1;
using Google.Protobuf;
using Google.Protobuf.Reflection;
using Grpc.Core;
using Grpc.Net.Client;

namespace Disputes.EndToEndTests;

/// <summary>
/// Every RPC of the public API, read from the generated service descriptors, so a test that
/// walks them grows with every RPC a proto adds; and a way to call any of them with raw bytes.
/// </summary>
public static class Rpcs
{
    public static IReadOnlyList<ServiceDescriptor> Services { get; } =
    [
        ChallengeService.Descriptor, EscalationService.Descriptor, NotificationService.Descriptor, RecordsService.Descriptor,
    ];

    public static IReadOnlyList<MethodDescriptor> All { get; } = Services.SelectMany(s => s.Methods).ToList();

    public static MethodDescriptor Named(string name) => All.Single(m => m.Name == name);

    private static readonly Marshaller<byte[]> Bytes = Marshallers.Create(bytes => bytes, bytes => bytes);

    /// <summary>
    /// Calls <paramref name="method"/> with <paramref name="request"/> as its serialized message; a
    /// server-streaming method answers with its messages until it ends or the deadline passes.
    /// </summary>
    public static async Task<Outcome> CallAsync(GrpcChannel channel, MethodDescriptor method, byte[] request, Metadata headers,
        TimeSpan? deadline = null)
    {
        var invoker = channel.CreateCallInvoker();
        var options = new CallOptions(headers, DateTime.UtcNow + (deadline ?? TimeSpan.FromSeconds(10)));
        try
        {
            if (method.IsServerStreaming)
            {
                var streaming = new Method<byte[], byte[]>(MethodType.ServerStreaming, method.Service.FullName, method.Name, Bytes, Bytes);
                using var call = invoker.AsyncServerStreamingCall(streaming, null, options, request);
                var messages = new List<byte[]>();
                while (await call.ResponseStream.MoveNext(CancellationToken.None))
                    messages.Add(call.ResponseStream.Current);
                return new Outcome(StatusCode.OK, "", messages, call.GetTrailers());
            }
            var unary = new Method<byte[], byte[]>(MethodType.Unary, method.Service.FullName, method.Name, Bytes, Bytes);
            using var unaryCall = invoker.AsyncUnaryCall(unary, null, options, request);
            var response = await unaryCall.ResponseAsync;
            return new Outcome(StatusCode.OK, "", [response], unaryCall.GetTrailers());
        }
        catch (RpcException e)
        {
            return new Outcome(e.StatusCode, e.Status.Detail, [], e.Trailers);
        }
    }

    public static Task<Outcome> CallAsync(GrpcChannel channel, string method, IMessage request, Metadata headers) =>
        CallAsync(channel, Named(method), request.ToByteArray(), headers);

    /// <summary>A request message of <paramref name="method"/> with every string field set to <paramref name="text"/>.</summary>
    public static IMessage RequestWithStrings(MethodDescriptor method, string text)
    {
        var message = (IMessage)Activator.CreateInstance(method.InputType.ClrType)!;
        foreach (var field in method.InputType.Fields.InFieldNumberOrder())
        {
            if (field.FieldType == FieldType.String && !field.IsRepeated)
                field.Accessor.SetValue(message, text);
        }
        return message;
    }
}

/// <summary>What a call ended with: its status, and the messages and trailers it returned.</summary>
public sealed record Outcome(StatusCode Status, string Detail, IReadOnlyList<byte[]> Messages, Metadata Trailers)
{
    /// <summary>Everything the caller received as text, to look for what must not be there.</summary>
    public string Everything() => string.Join('\n',
        [Detail, .. Trailers.Select(t => t.IsBinary ? Convert.ToBase64String(t.ValueBytes) + System.Text.Encoding.UTF8.GetString(t.ValueBytes) : t.Value),
         .. Messages.Select(m => System.Text.Encoding.UTF8.GetString(m))]);

    public T Parse<T>(MessageParser<T> parser) where T : IMessage<T> => parser.ParseFrom(Messages.Single());
}
