using System.Globalization;
using System.Text.RegularExpressions;

namespace Maximus.Memory.Hybrid;

/// <summary>A span of time, <see cref="Start"/> inclusive, <see cref="End"/> exclusive (either open: null).</summary>
public sealed record TimeWindow(DateTimeOffset? Start, DateTimeOffset? End)
{
    /// <summary>Whether <paramref name="at"/> falls in the window widened by <paramref name="slackBefore"/> and <paramref name="slackAfter"/>.</summary>
    public bool Contains(DateTimeOffset at, TimeSpan slackBefore = default, TimeSpan slackAfter = default) =>
        (Start is not { } s || at >= s - slackBefore) && (End is not { } e || at < e + slackAfter);
}

/// <summary>
/// Time expressions of a question turned into one window, against a reference time (the time of the conversation's last
/// session, or now): absolute dates ("1 May, 2022", "May 1st 2022", "2022-05-01"), months ("in July 2022", "in June":
/// the last June up to the reference), years ("in 2023"), seasons ("summer 2021"), relative times ("yesterday",
/// "last week/weekend/month/year", "this month", "three weeks ago") and open windows ("before/after/since/until
/// &lt;date&gt;"). Rule-based, culture-invariant, UTC. Words that are also ordinary words (the modal "may", the verb
/// "march") count as months only when capitalised next to a day, a year or a preposition of time.
/// </summary>
public static partial class TimeExpressions
{
    private static readonly string[] Months =
        ["january", "february", "march", "april", "may", "june", "july", "august", "september", "october", "november", "december"];

    /// <summary>The window the question's time expression names, or null when it names none.</summary>
    public static TimeWindow? Parse(string text, DateTimeOffset reference)
    {
        ArgumentNullException.ThrowIfNull(text);
        var day = new DateTimeOffset(reference.UtcDateTime.Date, TimeSpan.Zero);

        // "before/after/since/until <date>": an open window on one side of the date's span.
        if (Bounded().Match(text) is { Success: true } bounded && Absolute(bounded.Value, day) is { } pivot)
        {
            return bounded.Groups["word"].Value.ToLowerInvariant() is "before" or "until" or "till" or "prior to"
                ? new TimeWindow(null, pivot.Start)
                : new TimeWindow(pivot.End, null);
        }

        return Absolute(text, day) ?? Relative(text, day);
    }

    /// <summary>The span of the first absolute date, month, season or year in the text.</summary>
    private static TimeWindow? Absolute(string text, DateTimeOffset today)
    {
        if (IsoDate().Match(text) is { Success: true } iso
            && DateTime.TryParseExact(iso.Value, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var isoDay))
        {
            return Day(new DateTimeOffset(isoDay, TimeSpan.Zero));
        }

        if (DayMonthYear().Match(text) is { Success: true } dmy && MonthOf(dmy.Groups["month"].Value) is { } m1
            && Date(Year(dmy.Groups["year"], today, m1), m1, int.Parse(dmy.Groups["day"].Value, CultureInfo.InvariantCulture)) is { } d1)
        {
            return Day(d1);
        }

        if (MonthDayYear().Match(text) is { Success: true } mdy && MonthOf(mdy.Groups["month"].Value) is { } m2
            && Date(Year(mdy.Groups["year"], today, m2), m2, int.Parse(mdy.Groups["day"].Value, CultureInfo.InvariantCulture)) is { } d2)
        {
            return Day(d2);
        }

        if (Season().Match(text) is { Success: true } season)
        {
            var year = int.Parse(season.Groups["year"].Value, CultureInfo.InvariantCulture);
            var (first, months) = season.Groups["season"].Value.ToLowerInvariant() switch
            {
                "spring" => (3, 3),
                "summer" => (6, 3),
                "fall" or "autumn" => (9, 3),
                _ => (12, 3),
            };
            var start = new DateTimeOffset(year, first, 1, 0, 0, 0, TimeSpan.Zero);
            return new TimeWindow(start, start.AddMonths(months));
        }

        if (MonthYear().Match(text) is { Success: true } my && MonthOf(my.Groups["month"].Value) is { } m3)
        {
            return Month(int.Parse(my.Groups["year"].Value, CultureInfo.InvariantCulture), m3);
        }

        if (MonthAlone().Match(text) is { Success: true } alone && MonthOf(alone.Groups["month"].Value) is { } m4)
        {
            // The last such month up to the reference.
            return Month(m4 <= today.Month ? today.Year : today.Year - 1, m4);
        }

        if (YearAlone().Match(text) is { Success: true } y)
        {
            var start = new DateTimeOffset(int.Parse(y.Groups["year"].Value, CultureInfo.InvariantCulture), 1, 1, 0, 0, 0, TimeSpan.Zero);
            return new TimeWindow(start, start.AddYears(1));
        }

        return null;
    }

    /// <summary>Times relative to the reference day.</summary>
    private static TimeWindow? Relative(string text, DateTimeOffset today)
    {
        if (Ago().Match(text) is { Success: true } ago && Count(ago.Groups["n"].Value) is { } n)
        {
            // "three weeks ago": the unit around that point (one unit each side).
            var unit = ago.Groups["unit"].Value.ToLowerInvariant().TrimEnd('s');
            var at = unit switch
            {
                "day" => today.AddDays(-n),
                "week" => today.AddDays(-7 * n),
                "month" => today.AddMonths(-n),
                _ => today.AddYears(-n),
            };
            var half = unit switch
            {
                "day" => TimeSpan.FromDays(1),
                "week" => TimeSpan.FromDays(7),
                "month" => TimeSpan.FromDays(31),
                _ => TimeSpan.FromDays(183),
            };
            return new TimeWindow(at - half, at + half + TimeSpan.FromDays(1));
        }

        if (RelativeWord().Match(text) is not { Success: true } word)
        {
            return null;
        }

        var monday = today.AddDays(-(((int)today.DayOfWeek + 6) % 7));
        var month = new DateTimeOffset(today.Year, today.Month, 1, 0, 0, 0, TimeSpan.Zero);
        var year = new DateTimeOffset(today.Year, 1, 1, 0, 0, 0, TimeSpan.Zero);
        return Whitespace().Replace(word.Value.ToLowerInvariant(), " ") switch
        {
            "today" or "tonight" or "this morning" or "this afternoon" or "this evening" => Day(today),
            "yesterday" or "last night" => Day(today.AddDays(-1)),
            "this week" => new TimeWindow(monday, monday.AddDays(7)),
            "last week" or "past week" => new TimeWindow(monday.AddDays(-7), monday),
            "this weekend" => new TimeWindow(monday.AddDays(5), monday.AddDays(7)),
            "last weekend" or "past weekend" => new TimeWindow(monday.AddDays(-2), monday),
            "this month" => new TimeWindow(month, month.AddMonths(1)),
            "last month" or "past month" => new TimeWindow(month.AddMonths(-1), month),
            "this year" => new TimeWindow(year, year.AddYears(1)),
            "last year" or "past year" => new TimeWindow(year.AddYears(-1), year),
            _ => null,
        };
    }

    private static TimeWindow Day(DateTimeOffset day) => new(day, day.AddDays(1));

    private static TimeWindow Month(int year, int month)
    {
        var start = new DateTimeOffset(year, month, 1, 0, 0, 0, TimeSpan.Zero);
        return new TimeWindow(start, start.AddMonths(1));
    }

    private static DateTimeOffset? Date(int year, int month, int day) =>
        year is >= 1 and <= 9999 && day >= 1 && day <= DateTime.DaysInMonth(year, month)
            ? new DateTimeOffset(year, month, day, 0, 0, 0, TimeSpan.Zero)
            : null;

    /// <summary>The year written, or the last year whose month is not after the reference's.</summary>
    private static int Year(Group year, DateTimeOffset today, int month) =>
        year.Success ? int.Parse(year.Value, CultureInfo.InvariantCulture) : month <= today.Month ? today.Year : today.Year - 1;

    private static int? MonthOf(string name)
    {
        var lower = name.ToLowerInvariant().TrimEnd('.');
        var index = Array.FindIndex(Months, m => lower.Length >= 3 && m.StartsWith(lower, StringComparison.Ordinal));
        return index < 0 ? null : index + 1;
    }

    private static int? Count(string n) => n.ToLowerInvariant() switch
    {
        "a" or "an" or "one" => 1,
        "two" or "a couple of" => 2,
        "three" or "a few" => 3,
        "four" => 4,
        "five" => 5,
        "six" => 6,
        "seven" => 7,
        "eight" => 8,
        "nine" => 9,
        "ten" => 10,
        _ => int.TryParse(n, NumberStyles.None, CultureInfo.InvariantCulture, out var v) && v is > 0 and < 1000 ? v : null,
    };

    // Month names, capitalised (so that "may" and "march" as words are not months); three-letter abbreviations too.
    private const string MonthName = @"(?<month>(?-i:January|February|March|April|May|June|July|August|September|October|November|December|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept?|Oct|Nov|Dec)\.?)";

    [GeneratedRegex(@"\s+", RegexOptions.CultureInvariant)]
    private static partial Regex Whitespace();

    [GeneratedRegex(@"\b(?<year>(1[89]|2[01])\d\d)-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])\b", RegexOptions.CultureInvariant)]
    private static partial Regex IsoDate();

    [GeneratedRegex(@"\b(?<day>[0-3]?\d)(st|nd|rd|th)?(\s+of)?\s*" + MonthName + @"(,?\s*(?<year>(1[89]|2[01])\d\d))?\b", RegexOptions.CultureInvariant | RegexOptions.IgnoreCase)]
    private static partial Regex DayMonthYear();

    [GeneratedRegex(MonthName + @"\s+(?<day>[0-3]?\d)(st|nd|rd|th)?\b(,?\s*(?<year>(1[89]|2[01])\d\d)\b)?", RegexOptions.CultureInvariant | RegexOptions.IgnoreCase)]
    private static partial Regex MonthDayYear();

    [GeneratedRegex(MonthName + @",?\s+(of\s+)?(?<year>(1[89]|2[01])\d\d)\b", RegexOptions.CultureInvariant | RegexOptions.IgnoreCase)]
    private static partial Regex MonthYear();

    [GeneratedRegex(@"\b(in|during|on|of|since|until|till|before|after|early|late|mid|mid-|this|last)\s+" + MonthName + @"\b", RegexOptions.CultureInvariant | RegexOptions.IgnoreCase)]
    private static partial Regex MonthAlone();

    [GeneratedRegex(@"\b(?<season>spring|summer|fall|autumn|winter)\s+(of\s+)?(?<year>(1[89]|2[01])\d\d)\b", RegexOptions.CultureInvariant | RegexOptions.IgnoreCase)]
    private static partial Regex Season();

    [GeneratedRegex(@"\b(in|during|of|since|until|before|after|from)\s+(the\s+year\s+)?(?<year>(1[89]|2[01])\d\d)\b", RegexOptions.CultureInvariant | RegexOptions.IgnoreCase)]
    private static partial Regex YearAlone();

    [GeneratedRegex(@"\b(?<word>before|after|since|until|till|prior to)\s+(?<rest>.+)$", RegexOptions.CultureInvariant | RegexOptions.IgnoreCase)]
    private static partial Regex Bounded();

    [GeneratedRegex(@"\b(?<n>\d+|an?|one|two|three|four|five|six|seven|eight|nine|ten|a couple of|a few)\s+(?<unit>days?|weeks?|months?|years?)\s+ago\b", RegexOptions.CultureInvariant | RegexOptions.IgnoreCase)]
    private static partial Regex Ago();

    [GeneratedRegex(@"\b(today|tonight|yesterday|last\s+night|this\s+(morning|afternoon|evening|week|weekend|month|year)|(last|past)\s+(week|weekend|month|year))\b", RegexOptions.CultureInvariant | RegexOptions.IgnoreCase)]
    private static partial Regex RelativeWord();
}
