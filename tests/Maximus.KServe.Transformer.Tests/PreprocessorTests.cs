using System.Text.Json;

namespace Maximus.KServe.Transformer.Tests;

public sealed class PreprocessorTests
{
    private static JsonElement Json(string json) => JsonDocument.Parse(json).RootElement.Clone();

    [Fact]
    public void Execution_log_becomes_one_line_in_the_model_input_format()
    {
        var log = Json("""
            {"logId": "l1", "missionId": "m1", "agentId": "a", "stepIndex": 2, "action": "stack(a, b)",
             "outcome": "Failed", "durationMs": 12.3456, "steps": 4, "failures": 1, "surprise": true,
             "error": "precondition  (clear b)\n does not hold", "observation": "b is under c", "priority": "High"}
            """);

        var text = new ReflectionPreprocessor(2048).Preprocess(log, 0);

        Assert.Equal(
            "outcome=Failed action=stack(a, b) steps=4 failures=1 surprise=true duration_ms=12.346 error=precondition (clear b) does not hold observation=b is under c",
            text);
    }

    [Fact]
    public void Numeric_outcome_and_missing_optional_fields_are_accepted()
    {
        var text = new ReflectionPreprocessor(2048).Preprocess(Json("""{"action": "pick-up(a)", "outcome": 0}"""), 0);

        Assert.Equal("outcome=Succeeded action=pick-up(a)", text);
    }

    [Fact]
    public void Plain_text_instances_pass_through_normalised()
    {
        var text = new ReflectionPreprocessor(2048).Preprocess(Json("\"  already   model input \""), 0);

        Assert.Equal("already model input", text);
    }

    [Fact]
    public void Long_free_text_is_cut_observation_first_to_fit_the_model_input()
    {
        var error = new string('e', 100);
        var observation = new string('o', 1000);
        var log = Json($$"""{"action": "move", "outcome": "Failed", "error": "{{error}}", "observation": "{{observation}}"}""");

        var text = new ReflectionPreprocessor(200).Preprocess(log, 0);

        Assert.Equal(200, text.Length);
        Assert.Contains("error=" + error, text, StringComparison.Ordinal);
        Assert.EndsWith("…", text, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{"outcome": "Failed"}""", "instances[3].action is required.")]
    [InlineData("""{"action": "a"}""", "instances[3].outcome is required.")]
    [InlineData("""{"action": "a", "outcome": "Exploded"}""", "instances[3].outcome must be one of Succeeded, Failed, Rejected, not 'Exploded'.")]
    [InlineData("""{"action": "a", "outcome": "Failed", "durationMs": -1}""", "instances[3].durationMs must be a non-negative number.")]
    [InlineData("""{"action": "a", "outcome": "Failed", "error": 5}""", "instances[3].error must be a string.")]
    [InlineData("42", "instances[3] must be an execution log object or a string, not Number.")]
    public void Invalid_instances_are_refused_naming_the_field(string json, string message)
    {
        var error = Assert.Throws<TransformerInputException>(() => new ReflectionPreprocessor(2048).Preprocess(Json(json), 3));

        Assert.Equal(message, error.Message);
    }
}
