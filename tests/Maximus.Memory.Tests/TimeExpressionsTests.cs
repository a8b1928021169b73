using Maximus.Memory.Hybrid;

namespace Maximus.Memory.Tests;

public sealed class TimeExpressionsTests
{
    /// <summary>A Wednesday.</summary>
    private static readonly DateTimeOffset Reference = new(2023, 10, 18, 15, 30, 0, TimeSpan.Zero);

    private static DateTimeOffset D(int year, int month, int day) => new(year, month, day, 0, 0, 0, TimeSpan.Zero);

    [Theory]
    [InlineData("What movie did Joanna watch on 1 May, 2022?", 2022, 5, 1)]
    [InlineData("What did Gina find for her clothing store on 1 February, 2023?", 2023, 2, 1)]
    [InlineData("Who did Maria have dinner with on May 3, 2023?", 2023, 5, 3)]
    [InlineData("What happened on October 13th 2023?", 2023, 10, 13)]
    [InlineData("What happened on the 4th of July 2021?", 2021, 7, 4)]
    [InlineData("Anything logged on 2022-11-05?", 2022, 11, 5)]
    public void An_absolute_date_is_that_day(string question, int year, int month, int day)
    {
        Assert.Equal(new TimeWindow(D(year, month, day), D(year, month, day).AddDays(1)), TimeExpressions.Parse(question, Reference));
    }

    [Fact]
    public void A_day_and_month_without_a_year_is_the_last_one_up_to_the_reference()
    {
        Assert.Equal(new TimeWindow(D(2023, 3, 2), D(2023, 3, 3)), TimeExpressions.Parse("What did she bake on 2 March?", Reference));
        Assert.Equal(new TimeWindow(D(2022, 12, 24), D(2022, 12, 25)), TimeExpressions.Parse("What did she bake on December 24?", Reference));
    }

    [Theory]
    [InlineData("Where did Joanna travel to in July 2022?", 2022, 7)]
    [InlineData("What setback did Melanie face in October 2023?", 2023, 10)]
    [InlineData("What type of workout class did Maria start doing in Dec 2023?", 2023, 12)]
    public void A_month_and_year_is_that_month(string question, int year, int month)
    {
        Assert.Equal(new TimeWindow(D(year, month, 1), D(year, month, 1).AddMonths(1)), TimeExpressions.Parse(question, Reference));
    }

    [Fact]
    public void A_month_alone_is_the_last_such_month_up_to_the_reference()
    {
        Assert.Equal(new TimeWindow(D(2023, 6, 1), D(2023, 7, 1)), TimeExpressions.Parse("When did Melanie go camping in June?", Reference));
        Assert.Equal(new TimeWindow(D(2022, 11, 1), D(2022, 12, 1)), TimeExpressions.Parse("What did they plan in November?", Reference));
    }

    [Theory]
    [InlineData("May I ask what Caroline likes?")]
    [InlineData("What may Caroline like to read?")]
    [InlineData("Did they march in the parade?")]
    [InlineData("How did Melanie feel after the accident?")]
    [InlineData("What does Caroline paint?")]
    public void Ordinary_words_are_not_times(string question)
    {
        Assert.Null(TimeExpressions.Parse(question, Reference));
    }

    [Fact]
    public void Years_and_seasons_are_their_spans()
    {
        Assert.Equal(new TimeWindow(D(2023, 1, 1), D(2024, 1, 1)), TimeExpressions.Parse("How many times has Melanie gone to the beach in 2023?", Reference));
        Assert.Equal(new TimeWindow(D(2021, 6, 1), D(2021, 9, 1)), TimeExpressions.Parse("What state did Joanna visit in summer 2021?", Reference));
    }

    [Fact]
    public void Relative_times_count_from_the_reference()
    {
        Assert.Equal(new TimeWindow(D(2023, 10, 17), D(2023, 10, 18)), TimeExpressions.Parse("What did John do yesterday?", Reference));
        Assert.Equal(new TimeWindow(D(2023, 10, 9), D(2023, 10, 16)), TimeExpressions.Parse("Where did they go last week?", Reference));
        Assert.Equal(new TimeWindow(D(2023, 9, 1), D(2023, 10, 1)), TimeExpressions.Parse("What happened last month?", Reference));
        Assert.Equal(new TimeWindow(D(2022, 1, 1), D(2023, 1, 1)), TimeExpressions.Parse("What did the family see during their camping trip last year?", Reference));
        Assert.Equal(new TimeWindow(D(2023, 10, 14), D(2023, 10, 16)), TimeExpressions.Parse("What did Nate do last weekend?", Reference));
    }

    [Fact]
    public void Some_time_ago_is_a_window_around_that_point()
    {
        var window = TimeExpressions.Parse("What did Jon start three weeks ago?", Reference)!;
        Assert.True(window.Contains(D(2023, 9, 27)));
        Assert.False(window.Contains(D(2023, 8, 1)));
        Assert.False(window.Contains(D(2023, 10, 18)));
    }

    [Fact]
    public void Before_and_after_a_date_are_open_windows()
    {
        Assert.Equal(new TimeWindow(null, D(2023, 5, 1)), TimeExpressions.Parse("What did Caroline do before May 2023?", Reference));
        Assert.Equal(new TimeWindow(D(2022, 8, 22), null), TimeExpressions.Parse("What happened after 21 August, 2022?", Reference));
        Assert.Equal(new TimeWindow(D(2022, 1, 1), null), TimeExpressions.Parse("What changed since 2021?", Reference));
    }

    [Fact]
    public void Before_an_event_is_no_window()
    {
        Assert.Null(TimeExpressions.Parse("What did Jean go through before meeting Maria?", Reference));
    }

    [Fact]
    public void A_window_contains_what_its_slack_lets_in()
    {
        var window = new TimeWindow(D(2023, 5, 1), D(2023, 6, 1));
        Assert.True(window.Contains(D(2023, 5, 31)));
        Assert.False(window.Contains(D(2023, 6, 1)));
        Assert.True(window.Contains(D(2023, 6, 10), slackAfter: TimeSpan.FromDays(14)));
        Assert.True(window.Contains(D(2023, 4, 30), slackBefore: TimeSpan.FromDays(1)));
        Assert.False(window.Contains(D(2023, 4, 28), slackBefore: TimeSpan.FromDays(1)));
    }
}
