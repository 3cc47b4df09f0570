using Disputes.WorkingDays;
using Disputes.Escalation.Domain;
using NodaTime;

namespace Disputes.UnitTests;

public class WorkingDayCalendarTests
{
    private static readonly WorkingDayCalendar Calendar = WorkingDayCalendar.EnglandAndWales;

    [Theory]
    [InlineData("2026-01-01")]
    [InlineData("2026-04-03")] // Good Friday
    [InlineData("2026-04-06")] // Easter Monday
    [InlineData("2026-05-04")]
    [InlineData("2026-05-25")]
    [InlineData("2026-08-31")]
    [InlineData("2026-12-25")]
    [InlineData("2026-12-28")] // Boxing Day falls on a Saturday
    [InlineData("2027-03-26")]
    [InlineData("2027-12-27")] // Christmas Day falls on a Saturday
    [InlineData("2027-12-28")]
    [InlineData("2028-01-03")] // New Year's Day falls on a Saturday
    [InlineData("2022-09-19")] // one-off: the State Funeral
    [InlineData("2023-05-08")] // one-off: the Coronation
    public void Bank_holidays_of_England_and_Wales_are_not_working_days(string date) =>
        Assert.False(Calendar.IsWorkingDay(LocalDate.FromDateTime(DateTime.Parse(date, System.Globalization.CultureInfo.InvariantCulture))));

    [Theory]
    [InlineData("2026-12-29")]
    [InlineData("2022-05-30")] // the spring holiday that moved to the Jubilee
    [InlineData("2026-04-07")]
    public void Ordinary_weekdays_are_working_days(string date) =>
        Assert.True(Calendar.IsWorkingDay(LocalDate.FromDateTime(DateTime.Parse(date, System.Globalization.CultureInfo.InvariantCulture))));

    [Fact]
    public void One_working_day_from_a_Friday_runs_to_the_end_of_Monday()
    {
        var friday = Instant.FromUtc(2026, 11, 20, 15, 0);
        Assert.Equal(Instant.FromUtc(2026, 11, 24, 0, 0), Calendar.DueAfter(friday, 1));
    }

    [Fact]
    public void Timescales_skip_Easter_and_count_in_London_summer_time()
    {
        // Thursday 2 April 2026: Good Friday and Easter Monday follow, so the next working day is Tuesday 7 April.
        var thursday = Instant.FromUtc(2026, 4, 2, 9, 0);
        // The end of Tuesday in London (BST, UTC+1) is 23:00 UTC.
        Assert.Equal(Instant.FromUtc(2026, 4, 7, 23, 0), Calendar.DueAfter(thursday, 1));
    }

    [Fact]
    public void A_raise_late_in_the_London_evening_counts_from_the_London_date()
    {
        // 23:30 UTC on Monday 29 June 2026 is already Tuesday in London.
        var lateMonday = Instant.FromUtc(2026, 6, 29, 23, 30);
        Assert.Equal(Instant.FromUtc(2026, 7, 1, 23, 0), Calendar.DueAfter(lateMonday, 1));
    }

    [Fact]
    public void Five_working_days_over_Christmas()
    {
        // Wednesday 23 December 2026: 24th, 29th, 30th, 31st, 4 January (25th, 28th and 1st are holidays).
        var raised = Instant.FromUtc(2026, 12, 23, 12, 0);
        Assert.Equal(Instant.FromUtc(2027, 1, 5, 0, 0), Calendar.DueAfter(raised, 5));
        Assert.Equal(5, Calendar.WorkingDaysBetween(raised, Instant.FromUtc(2027, 1, 4, 12, 0)));
    }
}
