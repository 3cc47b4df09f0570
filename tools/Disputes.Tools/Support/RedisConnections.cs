using StackExchange.Redis;

namespace Disputes.Tools.Support;

public static class RedisConnections
{
    /// <summary>Connects, or says why not on standard error and returns null (the command then exits 1).</summary>
    public static async Task<IConnectionMultiplexer?> OpenAsync(string configuration, TextWriter error)
    {
        ConfigurationOptions options;
        try
        {
            options = ConfigurationOptions.Parse(configuration);
        }
        catch (ArgumentException ex)
        {
            await error.WriteLineAsync($"--redis '{configuration}' is not a Redis configuration string: {ex.Message}");
            return null;
        }
        options.ClientName = "disputes-tools";
        options.ConnectTimeout = 5000;
        options.AbortOnConnectFail = true;
        try
        {
            return await ConnectionMultiplexer.ConnectAsync(options);
        }
        catch (RedisConnectionException ex)
        {
            await error.WriteLineAsync($"Cannot reach Redis at {string.Join(", ", options.EndPoints)}: {ex.Message.Split('\n')[0]} " +
                $"(start the suite with scripts/run.sh, or pass --redis / {SupportCommandOptions.RedisVariable}).");
            return null;
        }
    }
}
