using Google.Protobuf;
using Google.Protobuf.Reflection;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Grpc.Core.Interceptors;

namespace Disputes.ServiceDefaults.Grpc;

/// <summary>
/// Refuses a request carrying a Timestamp or Duration outside the range protobuf defines, with
/// INVALID_ARGUMENT naming each such field, before any handler converts it (the conversion
/// throws, and would otherwise surface as INTERNAL from whichever RPC met it first).
/// </summary>
public sealed class WellFormedTimes : Interceptor
{
    // 0001-01-01T00:00:00Z and 9999-12-31T23:59:59Z, as the Timestamp type defines them.
    private const long MinSeconds = -62_135_596_800;
    private const long MaxSeconds = 253_402_300_799;
    private const long MaxDurationSeconds = 315_576_000_000;
    private const int MaxDepth = 16;

    public override Task<TResponse> UnaryServerHandler<TRequest, TResponse>(TRequest request, ServerCallContext context,
        UnaryServerMethod<TRequest, TResponse> continuation)
    {
        Check(request);
        return continuation(request, context);
    }

    public override Task ServerStreamingServerHandler<TRequest, TResponse>(TRequest request, IServerStreamWriter<TResponse> responseStream,
        ServerCallContext context, ServerStreamingServerMethod<TRequest, TResponse> continuation)
    {
        Check(request);
        return continuation(request, responseStream, context);
    }

    public static void Check(object? request)
    {
        if (request is not IMessage message)
            return;
        var violations = new FieldViolations();
        Visit(message, "", violations, 0);
        violations.ThrowIfAny();
    }

    private static void Visit(IMessage message, string path, FieldViolations violations, int depth)
    {
        switch (message)
        {
            case Timestamp timestamp:
                if (timestamp.Seconds is < MinSeconds or > MaxSeconds || timestamp.Nanos is < 0 or > 999_999_999)
                    violations.Add(path, "is not a valid time (between 0001-01-01 and 9999-12-31, nanos 0 to 999,999,999)");
                return;
            case Duration duration:
                if (duration.Seconds is < -MaxDurationSeconds or > MaxDurationSeconds || duration.Nanos is < -999_999_999 or > 999_999_999
                    || (duration.Seconds != 0 && duration.Nanos != 0 && Math.Sign(duration.Seconds) != Math.Sign(duration.Nanos)))
                    violations.Add(path, "is not a valid duration");
                return;
        }
        if (depth >= MaxDepth)
            return;
        foreach (var field in message.Descriptor.Fields.InFieldNumberOrder())
        {
            if (field.FieldType != FieldType.Message || field.IsMap)
                continue;
            var name = path.Length == 0 ? field.Name : $"{path}.{field.Name}";
            var value = field.Accessor.GetValue(message);
            if (field.IsRepeated)
            {
                var i = 0;
                foreach (var item in (System.Collections.IList)value)
                {
                    if (item is IMessage element)
                        Visit(element, $"{name}[{i}]", violations, depth + 1);
                    i++;
                }
            }
            else if (value is IMessage child)
            {
                Visit(child, name, violations, depth + 1);
            }
        }
    }
}
