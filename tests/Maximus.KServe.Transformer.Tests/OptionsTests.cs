namespace Maximus.KServe.Transformer.Tests;

public sealed class OptionsTests
{
    [Fact]
    public void Missing_model_name_and_predictor_host_are_named()
    {
        var problems = new TransformerOptions().Problems();

        Assert.Contains(problems, p => p.Contains("--model_name", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Contains("--predictor_host", StringComparison.Ordinal));
    }

    [Fact]
    public void Duplicate_or_out_of_range_labels_are_refused()
    {
        var options = new TransformerOptions
        {
            ModelName = "reflection",
            PredictorHost = "p",
            Labels = [new("success", 1.0), new("success", 0.5), new("failure", 1.5)],
        };

        var problems = options.Problems();

        Assert.Contains("Transformer:Labels must be distinct.", problems);
        Assert.Contains("Transformer:Labels need a name and a quality from 0 to 1.", problems);
    }

    [Fact]
    public void Default_labels_are_the_reflector_classifications()
    {
        Assert.Empty(new TransformerOptions { ModelName = "reflection", PredictorHost = "p" }.Problems());
        Assert.Contains(TransformerOptions.DefaultLabels, l => l.Name == "success-with-surprise");
    }
}
