using System.Text.Json;
using Maximus.ServiceDefaults;

namespace Maximus.Reflection.Tests;

public sealed class ModelAnswerTests
{
    private sealed record Answer(string? Label, double Score);

    [Theory]
    [InlineData("""{"label": "ok", "score": 0.5}""")]
    [InlineData("```json\n{\"label\": \"ok\", \"score\": \"0.5\"}\n```")]
    [InlineData("Here is my verdict: {\"label\": \"ok\", \"score\": 0.5,} Hope that helps {and more}.")]
    [InlineData("Use {braces} wisely.\n```\n{\"Label\": \"ok\", /* why */ \"score\": 0.5}\n```\nDone.")]
    public void An_object_is_read_from_a_bare_fenced_or_wordy_answer(string answer)
    {
        var read = ModelAnswer.ReadObject<Answer>(answer);

        Assert.Equal(new Answer("ok", 0.5), read);
    }

    [Theory]
    [InlineData("I would rather not say.")]
    [InlineData("{\"label\": \"ok\", \"score\": ")]
    [InlineData("")]
    [InlineData(null)]
    public void An_answer_without_a_readable_object_reads_as_null(string? answer) =>
        Assert.Null(ModelAnswer.ReadObject<Answer>(answer));

    [Fact]
    public void An_array_is_read_when_arrays_are_accepted()
    {
        Assert.True(ModelAnswer.TryRead("The plans:\n```json\n[[\"a\"], [\"b\", \"c\"]]\n```", allowArray: true, out var value, out var error));

        Assert.Null(error);
        Assert.Equal(JsonValueKind.Array, value.ValueKind);
        Assert.Equal(2, value.GetArrayLength());
    }

    [Fact]
    public void An_array_is_skipped_when_an_object_is_asked_for()
    {
        Assert.True(ModelAnswer.TryRead("""[1, 2] then {"label": "x"}""", allowArray: false, out var value, out _));

        Assert.Equal("x", value.GetProperty("label").GetString());
    }

    [Theory]
    [InlineData("", false, "the answer is empty.")]
    [InlineData("   ", true, "the answer is empty.")]
    [InlineData("No JSON here.", false, "the answer holds no JSON object.")]
    [InlineData("No JSON here.", true, "the answer holds no JSON object or array.")]
    public void An_answer_without_json_says_so(string answer, bool allowArray, string expected)
    {
        Assert.False(ModelAnswer.TryRead(answer, allowArray, out _, out var error));

        Assert.Equal(expected, error);
    }

    [Fact]
    public void Invalid_json_names_what_the_parser_found()
    {
        Assert.False(ModelAnswer.TryRead("""{"plans": [ {"steps": ] }""", allowArray: true, out _, out var error));

        Assert.StartsWith("the answer is not valid JSON: ", error, StringComparison.Ordinal);
        Assert.Contains("]", error, StringComparison.Ordinal);
    }
}
