using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Disputes.Tools.Support;

/// <summary>Options the support commands share; each works against a local run or a cluster.</summary>
public static class SupportCommandOptions
{
    public const string RedisVariable = "DISPUTES_REDIS";
    public const string DefaultRedis = "127.0.0.1:6380";

    public static Option<string> Redis() => new("--redis")
    {
        Description = $"The Redis the suite uses, as a StackExchange.Redis configuration string (host:port,user=...,password=...) [env {RedisVariable}].",
        DefaultValueFactory = _ => Environment.GetEnvironmentVariable(RedisVariable) is { Length: > 0 } fromEnvironment ? fromEnvironment : DefaultRedis,
    };

    public static Option<bool> Json() => new("--json") { Description = "Write JSON for scripts instead of tables." };

    public static JsonSerializerOptions JsonOptions { get; } = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Converters = { new SecondsConverter(), new JsonStringEnumConverter() },
    };

    /// <summary>Durations in JSON are seconds (a number), which scripts compare without parsing.</summary>
    private sealed class SecondsConverter : JsonConverter<TimeSpan>
    {
        public override TimeSpan Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
            TimeSpan.FromSeconds(reader.GetDouble());

        public override void Write(Utf8JsonWriter writer, TimeSpan value, JsonSerializerOptions options) =>
            writer.WriteNumberValue(Math.Round(value.TotalSeconds, 3));
    }
}
