using Grpc.Core;

namespace Disputes.Tools;

/// <summary>Failed calls by gRPC status code (one per worker, merged at the end).</summary>
public sealed class StatusCounts
{
    private readonly Dictionary<StatusCode, long> _counts = [];

    public long Total => _counts.Values.Sum();

    public IEnumerable<KeyValuePair<StatusCode, long>> ByCode => _counts.OrderByDescending(c => c.Value);

    public void Add(StatusCode code, long count = 1) => _counts[code] = _counts.GetValueOrDefault(code) + count;

    public void Add(StatusCounts other)
    {
        foreach (var (code, count) in other._counts)
            Add(code, count);
    }

    public override string ToString() =>
        _counts.Count == 0 ? "none" : string.Join(", ", ByCode.Select(c => $"{c.Key} {c.Value}"));
}
