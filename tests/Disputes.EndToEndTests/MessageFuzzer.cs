using System.Collections;
using System.Text;
using Google.Protobuf;
using Google.Protobuf.Reflection;

namespace Disputes.EndToEndTests;

/// <summary>
/// Request messages generated from their descriptors: random bytes, or messages whose every
/// field holds a random value of its type (edge numbers, undefined enum values, odd and
/// oversized strings, real resource names so calls get past parsing into the services).
/// </summary>
public sealed class MessageFuzzer(Random random, IReadOnlyList<string> resourceNames)
{
    private const int MaxDepth = 3;

    public byte[] Next(MessageDescriptor descriptor) => random.Next(4) == 0 ? RandomBytes(512) : Message(descriptor, 0).ToByteArray();

    private IMessage Message(MessageDescriptor descriptor, int depth)
    {
        var message = (IMessage)Activator.CreateInstance(descriptor.ClrType)!;
        if (depth > MaxDepth)
            return message;
        foreach (var field in descriptor.Fields.InFieldNumberOrder())
        {
            if (random.Next(4) == 0)
                continue;
            if (field.IsMap)
            {
                var map = (IDictionary)field.Accessor.GetValue(message);
                for (var i = random.Next(3); i > 0; i--)
                    map[Value(field.MessageType.FindFieldByNumber(1), depth)] = Value(field.MessageType.FindFieldByNumber(2), depth);
            }
            else if (field.IsRepeated)
            {
                var list = (IList)field.Accessor.GetValue(message);
                for (var i = random.Next(4); i > 0; i--)
                    list.Add(Value(field, depth));
            }
            else
            {
                field.Accessor.SetValue(message, Value(field, depth));
            }
        }
        return message;
    }

    private object Value(FieldDescriptor field, int depth) => field.FieldType switch
    {
        FieldType.String => Text(),
        FieldType.Bytes => ByteString.CopyFrom(RandomBytes(64)),
        FieldType.Bool => random.Next(2) == 0,
        FieldType.Int32 or FieldType.SInt32 or FieldType.SFixed32 => Pick(0, 1, -1, int.MaxValue, int.MinValue, random.Next(-1000, 100_000)),
        FieldType.UInt32 or FieldType.Fixed32 => (uint)Pick(0, 1, int.MaxValue, random.Next()),
        FieldType.Int64 or FieldType.SInt64 or FieldType.SFixed64 => Pick(0L, -1L, long.MaxValue, long.MinValue, random.NextInt64()),
        FieldType.UInt64 or FieldType.Fixed64 => (ulong)Pick(0L, long.MaxValue, random.NextInt64()),
        FieldType.Float => (float)Pick(0d, -1d, double.NaN, double.PositiveInfinity, random.NextDouble() * 1e9),
        FieldType.Double => Pick(0d, -1d, double.NaN, double.NegativeInfinity, random.NextDouble() * 1e9),
        FieldType.Enum => Enum.ToObject(field.EnumType.ClrType,
            random.Next(3) == 0 ? random.Next(-5, 1000) : field.EnumType.Values[random.Next(field.EnumType.Values.Count)].Number),
        FieldType.Message => Message(field.MessageType, depth + 1),
        _ => throw new NotSupportedException($"{field.FullName}: {field.FieldType}"),
    };

    private string Text() => random.Next(10) switch
    {
        0 => "",
        1 or 2 or 3 => resourceNames[random.Next(resourceNames.Count)] + (random.Next(3) == 0 ? Suffix() : ""),
        4 => new string('x', random.Next(1000, 70_000)),
        5 => "challenges/../" + Suffix(),
        6 => "\u0000\u202e\ud83d\ude00\t\r\n%00' OR 1=1 --",
        7 => string.Concat(Enumerable.Range(0, random.Next(1, 40)).Select(_ => (char)random.Next(0x20, 0xD7FF))),
        _ => Suffix(),
    };

    private string Suffix() => random.Next(4) switch
    {
        0 => "/" + Convert.ToHexString(RandomBytes(8)),
        1 => "*",
        2 => "/escalation",
        _ => Encoding.ASCII.GetString(RandomBytes(12).Select(b => (byte)(0x21 + b % 94)).ToArray()),
    };

    private byte[] RandomBytes(int max)
    {
        var bytes = new byte[random.Next(max + 1)];
        random.NextBytes(bytes);
        return bytes;
    }

    private T Pick<T>(params T[] values) => values[random.Next(values.Length)];
}
