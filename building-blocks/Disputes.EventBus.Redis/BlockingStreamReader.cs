using StackExchange.Redis;

namespace Disputes.EventBus.Redis;

/// <summary>
/// <c>XREADGROUP ... BLOCK</c> on a connection of its own. StackExchange.Redis pipelines every
/// command of a multiplexer over one socket, so a blocking command there would stall all the
/// others; Dapr's Redis component gives its blocking reads their own connection for the same
/// reason. Only the subscriber that owns it reads through it, one read at a time.
/// </summary>
/// <remarks>
/// On a Redis Cluster one command may only name keys of one hash slot, and the topics are streams in
/// slots of their own: there the streams are read in one blocking read per slot, each on its own
/// connection (a blocked connection serves nothing else), and a call returns what the first reads to
/// answer brought; the others stay in flight and are taken up by the next call.
/// </remarks>
internal sealed class BlockingStreamReader(IConnectionMultiplexer shared, TimeSpan maxBlock) : IAsyncDisposable
{
    private readonly Dictionary<string, Lane> _lanes = new(StringComparer.Ordinal);

    /// <summary>The streams of one slot (all of them on a single Redis), their connection and the read in flight.</summary>
    private sealed class Lane(RedisKey[] streams)
    {
        public RedisKey[] Streams { get; } = streams;
        public Task<ConnectionMultiplexer>? Connecting;
        public Task<RedisResult>? Reading;
    }

    /// <summary>
    /// New entries of these streams for the consumer, waiting up to <paramref name="block"/> for the
    /// first; empty when none came. The same reply shape as a non-blocking read.
    /// </summary>
    public async Task<IReadOnlyList<(RedisKey Stream, StreamEntry[] Entries)>> ReadAsync(IReadOnlyList<RedisKey> streams, string group,
        string consumer, int count, TimeSpan block, CancellationToken cancellationToken)
    {
        var lanes = LanesOf(streams);
        var milliseconds = Math.Clamp((long)block.TotalMilliseconds, 1, (long)maxBlock.TotalMilliseconds);
        foreach (var lane in lanes)
            lane.Reading ??= StartReadAsync(lane, group, consumer, count, milliseconds);
        // A read still in flight from an earlier call blocks no longer than the block it was given then.
        await Task.WhenAny(lanes.Select(lane => lane.Reading!)).WaitAsync(cancellationToken);

        var read = new List<(RedisKey, StreamEntry[])>();
        foreach (var lane in lanes.Where(lane => lane.Reading!.IsCompleted))
        {
            var reply = lane.Reading!;
            lane.Reading = null;
            read.AddRange(Parse(await reply));
        }
        return read;
    }

    private async Task<RedisResult> StartReadAsync(Lane lane, string group, string consumer, int count, long milliseconds)
    {
        var connection = await ConnectionAsync(lane);
        var args = new List<object>(7 + 2 * lane.Streams.Length) { "GROUP", group, consumer, "COUNT", count, "BLOCK", milliseconds, "STREAMS" };
        args.AddRange(lane.Streams.Select(stream => (object)stream));
        args.AddRange(lane.Streams.Select(_ => (object)">"));
        // The first key routes the command to the node serving the lane's slot.
        var read = connection.GetDatabase().ExecuteAsync("XREADGROUP", args);
        // Shutdown does not wait out the block: the read is left to end (or fail) on its own.
        _ = read.ContinueWith(static t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
        return await read;
    }

    /// <summary>One lane for every stream on a single Redis; one per hash slot on a cluster.</summary>
    private List<Lane> LanesOf(IReadOnlyList<RedisKey> streams)
    {
        var cluster = shared.GetServers().Any(server => server.ServerType == ServerType.Cluster);
        var groups = cluster
            ? streams.GroupBy(stream => shared.HashSlot(stream)).Select(slot => slot.ToArray())
            : [streams.ToArray()];
        var lanes = new List<Lane>();
        foreach (var keys in groups)
        {
            var name = string.Join(' ', keys.Select(key => key.ToString()));
            if (!_lanes.TryGetValue(name, out var lane))
                _lanes[name] = lane = new Lane(keys);
            lanes.Add(lane);
        }
        return lanes;
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

    private static Task<ConnectionMultiplexer> ConnectionAsync(Lane lane, IConnectionMultiplexer shared, TimeSpan maxBlock)
    {
        return lane.Connecting ??= ConnectAsync();

        async Task<ConnectionMultiplexer> ConnectAsync()
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
                lane.Connecting = null;
                throw;
            }
        }
    }

    private Task<ConnectionMultiplexer> ConnectionAsync(Lane lane) => ConnectionAsync(lane, shared, maxBlock);

    public async ValueTask DisposeAsync()
    {
        foreach (var lane in _lanes.Values)
        {
            if (lane.Connecting is not { } connecting)
                continue;
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
}
