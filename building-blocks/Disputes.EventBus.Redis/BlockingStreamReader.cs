using StackExchange.Redis;

namespace Disputes.EventBus.Redis;

/// <summary>
/// <c>XREADGROUP ... BLOCK</c> on a connection of its own. StackExchange.Redis pipelines every
/// command of a multiplexer over one socket, so a blocking command there would stall all the
/// others; Dapr's Redis component gives its blocking reads their own connection for the same
/// reason. Only the subscriber that owns it reads through it, one read at a time.
/// </summary>
internal sealed class BlockingStreamReader(IConnectionMultiplexer shared, TimeSpan maxBlock) : IAsyncDisposable
{
    private Task<ConnectionMultiplexer>? _connecting;

    /// <summary>
    /// New entries of these streams for the consumer, waiting up to <paramref name="block"/> for the
    /// first; empty when none came. The same reply shape as a non-blocking read.
    /// </summary>
    public async Task<IReadOnlyList<(RedisKey Stream, StreamEntry[] Entries)>> ReadAsync(IReadOnlyList<RedisKey> streams, string group,
        string consumer, int count, TimeSpan block, CancellationToken cancellationToken)
    {
        var connection = await ConnectionAsync().WaitAsync(cancellationToken);
        var milliseconds = Math.Clamp((long)block.TotalMilliseconds, 1, (long)maxBlock.TotalMilliseconds);
        var args = new List<object>(7 + 2 * streams.Count) { "GROUP", group, consumer, "COUNT", count, "BLOCK", milliseconds, "STREAMS" };
        args.AddRange(streams.Select(stream => (object)stream));
        args.AddRange(streams.Select(_ => (object)">"));
        var read = connection.GetDatabase().ExecuteAsync("XREADGROUP", args);
        // Shutdown does not wait out the block: the read is left to end (or fail) on its own.
        _ = read.ContinueWith(static t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
        return Parse(await read.WaitAsync(cancellationToken));
    }

    /// <summary>RESP2 <c>[[stream, [[id, [field, value, ...]], ...]], ...]</c>, or nil when the block timed out.</summary>
    internal static IReadOnlyList<(RedisKey Stream, StreamEntry[] Entries)> Parse(RedisResult reply)
    {
        if (reply.IsNull || reply.Resp2Type != ResultType.Array)
            return [];
        var streams = new List<(RedisKey, StreamEntry[])>();
        foreach (var stream in (RedisResult[])reply!)
        {
            var parts = (RedisResult[])stream!;
            var entries = ((RedisResult[])parts[1]!).Select(entry =>
            {
                var idAndFields = (RedisResult[])entry!;
                var fields = idAndFields[1].IsNull ? [] : (RedisValue[])idAndFields[1]!;
                var values = new NameValueEntry[fields.Length / 2];
                for (var i = 0; i < values.Length; i++)
                    values[i] = new NameValueEntry(fields[2 * i], fields[2 * i + 1]);
                return new StreamEntry((RedisValue)idAndFields[0], values);
            }).ToArray();
            streams.Add(((RedisKey)parts[0], entries));
        }
        return streams;
    }

    private Task<ConnectionMultiplexer> ConnectionAsync() => _connecting ??= ConnectAsync();

    private async Task<ConnectionMultiplexer> ConnectAsync()
    {
        var options = ConfigurationOptions.Parse(shared.Configuration);
        // Reconnects by itself when Redis comes back; the reply parsed above is RESP2's.
        options.AbortOnConnectFail = false;
        options.Protocol = RedisProtocol.Resp2;
        options.ClientName = $"{options.ClientName ?? "disputes"}-blocking";
        options.AsyncTimeout = (int)(maxBlock + TimeSpan.FromSeconds(5)).TotalMilliseconds;
        try
        {
            return await ConnectionMultiplexer.ConnectAsync(options);
        }
        catch
        {
            _connecting = null;
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_connecting is not { } connecting)
            return;
        try
        {
            // Not waiting for the read in flight: closing the socket ends the block on the server.
            var connection = await connecting;
            await connection.CloseAsync(allowCommandsToComplete: false);
            await connection.DisposeAsync();
        }
        catch (Exception) when (!connecting.IsCompletedSuccessfully)
        {
            // It never connected: nothing to close.
        }
    }
}
