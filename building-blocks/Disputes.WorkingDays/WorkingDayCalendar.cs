using NodaTime;

namespace Disputes.WorkingDays;

/// <summary>
/// Working days for timescales: Monday to Friday, less the bank holidays of England and
/// Wales, in Europe/London time. Holidays follow the standing rules (with substitute
/// days); one-off holidays proclaimed for a year are listed.
/// </summary>
public sealed class WorkingDayCalendar(DateTimeZone zone, IReadOnlySet<LocalDate> oneOffHolidays, IReadOnlySet<LocalDate> movedAway)
{
    public static WorkingDayCalendar EnglandAndWales { get; } = new(
        DateTimeZoneProviders.Tzdb["Europe/London"],
        // Jubilee (2022), the State Funeral (2022), the Coronation (2023), VE Day 75 (2020).
        new HashSet<LocalDate> { new(2022, 6, 2), new(2022, 6, 3), new(2022, 9, 19), new(2023, 5, 8), new(2020, 5, 8) },
        // The standing holidays those years moved away from.
        new HashSet<LocalDate> { new(2022, 5, 30), new(2020, 5, 4) });

    public DateTimeZone Zone { get; } = zone;

    public bool IsWorkingDay(LocalDate date) =>
        date.DayOfWeek is not (IsoDayOfWeek.Saturday or IsoDayOfWeek.Sunday) && !IsBankHoliday(date);

    public bool IsBankHoliday(LocalDate date) =>
        oneOffHolidays.Contains(date) || (!movedAway.Contains(date) && StandingHolidays(date.Year).Contains(date));

    /// <summary>
    /// The moment a timescale of <paramref name="workingDays"/> working days, started at
    /// <paramref name="start"/>, runs out: the end of the Nth working day after the start's
    /// local date (so a challenge raised on a Friday afternoon with 1 day is due by the end of Monday).
    /// </summary>
    public Instant DueAfter(Instant start, int workingDays)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(workingDays);
        var date = start.InZone(Zone).Date;
        for (var counted = 0; counted < workingDays;)
        {
            date = date.PlusDays(1);
            if (IsWorkingDay(date))
                counted++;
        }
        return date.PlusDays(1).AtStartOfDayInZone(Zone).ToInstant();
    }

    /// <summary>The working days from <paramref name="start"/> to <paramref name="end"/> (for the escalation log).</summary>
    public int WorkingDaysBetween(Instant start, Instant end)
    {
        var from = start.InZone(Zone).Date;
        var to = end.InZone(Zone).Date;
        var days = 0;
        for (var date = from.PlusDays(1); date <= to; date = date.PlusDays(1))
        {
            if (IsWorkingDay(date))
                days++;
        }
        return days;
    }

    private static HashSet<LocalDate> StandingHolidays(int year)
    {
        var easter = EasterSunday(year);
        var holidays = new HashSet<LocalDate>
        {
            Weekday(new LocalDate(year, 1, 1)),
            easter.PlusDays(-2),
            easter.PlusDays(1),
            FirstMonday(year, 5),
            LastMonday(year, 5),
            LastMonday(year, 8),
        };
        // Christmas and Boxing Day: a holiday falling at a weekend moves to the next free weekday.
        var christmas = new LocalDate(year, 12, 25);
        var boxingDay = christmas.PlusDays(1);
        var christmasObserved = Weekday(christmas);
        var boxingObserved = Weekday(boxingDay);
        if (boxingObserved <= christmasObserved)
            boxingObserved = Weekday(christmasObserved.PlusDays(1));
        holidays.Add(christmasObserved);
        holidays.Add(boxingObserved);
        return holidays;
    }

    private static LocalDate Weekday(LocalDate date) => date.DayOfWeek switch
    {
        IsoDayOfWeek.Saturday => date.PlusDays(2),
        IsoDayOfWeek.Sunday => date.PlusDays(1),
        _ => date,
    };

    private static LocalDate FirstMonday(int year, int month) =>
        new LocalDate(year, month, 1).With(DateAdjusters.NextOrSame(IsoDayOfWeek.Monday));

    private static LocalDate LastMonday(int year, int month) =>
        DateAdjusters.EndOfMonth(new LocalDate(year, month, 1)).With(DateAdjusters.PreviousOrSame(IsoDayOfWeek.Monday));

    /// <summary>Western Easter Sunday (the anonymous Gregorian computus).</summary>
    private static LocalDate EasterSunday(int year)
    {
        var a = year % 19;
        var b = year / 100;
        var c = year % 100;
        var d = b / 4;
        var e = b % 4;
        var f = (b + 8) / 25;
        var g = (b - f + 1) / 3;
        var h = (19 * a + b - d - g + 15) % 30;
        var i = c / 4;
        var k = c % 4;
        var l = (32 + 2 * e + 2 * i - h - k) % 7;
        var m = (a + 11 * h + 22 * l) / 451;
        var month = (h + l - 7 * m + 114) / 31;
        var day = (h + l - 7 * m + 114) % 31 + 1;
        return new LocalDate(year, month, day);
    }
}
