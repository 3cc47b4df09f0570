using System.Globalization;

namespace Disputes.Notification.Domain;

/// <summary>
/// Where a watch of an agency's deliveries stands: one stream position per partition (the agency's
/// watch stream is split by dispute partition, so each delivery commits in its dispute's slot). A single
/// position could not say it: entries of two partitions are written independently, so one of them can
/// get an id below a position already passed. Text form: the positions in partition order, joined by
/// '.', each a stream id "ms-seq" or "0" for none (opaque to callers).
/// </summary>
public sealed class WatchCursor
{
    private const char Separator = '.';
    private readonly string[] _positions;

    private WatchCursor(string[] positions) => _positions = positions;

    public int Partitions => _positions.Length;

    public string this[int partition] => _positions[partition];

    /// <summary>A cursor before every entry of every partition.</summary>
    public static WatchCursor Start(int partitions) => new(Enumerable.Repeat("0-0", partitions).ToArray());

    public static WatchCursor Of(IReadOnlyList<string> positions) => new(positions.ToArray());

    public static bool TryParse(string text, int partitions, out WatchCursor cursor)
    {
        cursor = Start(partitions);
        var parts = text.Split(Separator);
        if (parts.Length != partitions)
            return false;
        for (var i = 0; i < parts.Length; i++)
        {
            if (parts[i] == "0")
                continue;
            var id = parts[i].Split('-');
            if (id.Length != 2 || !id.All(p => p.Length is > 0 and <= 20 && p.All(char.IsAsciiDigit)
                && ulong.TryParse(p, NumberStyles.None, CultureInfo.InvariantCulture, out _)))
                return false;
            cursor._positions[i] = parts[i];
        }
        return true;
    }

    /// <summary>The cursor after an entry of one partition; the others stay where they are.</summary>
    public WatchCursor After(int partition, string entryId)
    {
        var positions = (string[])_positions.Clone();
        positions[partition] = entryId;
        return new WatchCursor(positions);
    }

    public override string ToString() => string.Join(Separator, _positions.Select(p => p == "0-0" ? "0" : p));
}
