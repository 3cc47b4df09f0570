using System.CommandLine;

namespace Disputes.Tools;

/// <summary>
/// An option taking a duration such as <c>20s</c>. Nullable underneath so help shows the default
/// as typed (20s) rather than as a TimeSpan; the range is checked while parsing, because a
/// validator cannot read a value that failed to parse.
/// </summary>
public sealed class DurationOption
{
    private readonly TimeSpan _default;

    public DurationOption(string name, string description, TimeSpan defaultValue, TimeSpan min, TimeSpan max)
    {
        _default = defaultValue;
        Option = new Option<TimeSpan?>(name)
        {
            Description = $"{description} [default: {Durations.Format(defaultValue)}]",
            HelpName = "duration",
            CustomParser = result => Durations.Parse(result, name, min, max),
        };
    }

    public Option<TimeSpan?> Option { get; }

    public TimeSpan ValueIn(ParseResult parse) => parse.GetValue(Option) ?? _default;
}
