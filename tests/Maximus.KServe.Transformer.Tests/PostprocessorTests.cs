using System.Text.Json;

namespace Maximus.KServe.Transformer.Tests;

public sealed class PostprocessorTests
{
    private static readonly ReflectionLabel[] Labels = [new("success", 1.0), new("recovered", 0.6), new("failure", 0.0)];

    private static IReadOnlyList<ReflectionPrediction> Run(string predictions, int expected = 1) =>
        new ReflectionPostprocessor(Labels).Postprocess(JsonDocument.Parse(predictions).RootElement.Clone(), expected);

    [Fact]
    public void Class_index_maps_to_its_label_with_full_confidence()
    {
        var prediction = Assert.Single(Run("[2]"));

        Assert.Equal("failure", prediction.Classification);
        Assert.Equal(1.0, prediction.Confidence);
        Assert.Equal(0.0, prediction.QualityScore);
    }

    [Fact]
    public void Probability_map_keyed_by_class_index_as_the_hugging_face_runtime_answers()
    {
        var prediction = Assert.Single(Run("""[{"0": 0.7, "1": 0.2, "2": 0.1}]"""));

        Assert.Equal("success", prediction.Classification);
        Assert.Equal(0.7, prediction.Confidence);
        Assert.Equal(0.82, prediction.QualityScore);
        Assert.Equal(0.2, prediction.Scores["recovered"]);
    }

    [Fact]
    public void Probability_map_keyed_by_label_with_string_scores()
    {
        var prediction = Assert.Single(Run("""[{"recovered": "0.9", "failure": "0.1"}]"""));

        Assert.Equal("recovered", prediction.Classification);
        Assert.Equal(0.54, prediction.QualityScore);
    }

    [Fact]
    public void Logits_are_turned_into_probabilities()
    {
        var prediction = Assert.Single(Run("[[2.0, -1.0, 0.5]]"));

        Assert.Equal("success", prediction.Classification);
        Assert.Equal(1.0, prediction.Scores.Values.Sum(), 3);
        Assert.InRange(prediction.Confidence, 0.78, 0.79);
    }

    [Fact]
    public void Class_name_is_accepted()
    {
        Assert.Equal("recovered", Assert.Single(Run("""["recovered"]""")).Classification);
    }

    [Fact]
    public void One_prediction_per_instance_in_order()
    {
        var predictions = Run("[0, 1, 2]", expected: 3);

        Assert.Equal(["success", "recovered", "failure"], predictions.Select(p => p.Classification));
    }

    [Theory]
    [InlineData("[0, 1]", 3, "the predictor answered 2 predictions for 3 instances.")]
    [InlineData("[7]", 1, "predictions[0] is class 7, but 3 classes are configured.")]
    [InlineData("""["exploded"]""", 1, "predictions[0] names the unknown class 'exploded'.")]
    [InlineData("[[0.5, 0.5]]", 1, "predictions[0] has 2 scores, but 3 classes are configured.")]
    [InlineData("[true]", 1, "predictions[0] is a True, not a class or class scores.")]
    [InlineData("{}", 1, "the predictor's answer has no 'predictions' list.")]
    public void Answers_that_do_not_fit_are_reported(string predictions, int expected, string message)
    {
        var error = Assert.Throws<PredictorResponseException>(() => Run(predictions, expected));

        Assert.Equal(message, error.Message);
    }
}
