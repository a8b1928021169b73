namespace Maximus.KServe.Transformer;

/// <summary>
/// Settings (section <c>Transformer</c>). KServe's arguments <c>--model_name</c> and <c>--predictor_host</c> fill
/// <see cref="ModelName"/> and <see cref="PredictorHost"/>; <c>--http_port</c> sets the listening port.
/// </summary>
public sealed class TransformerOptions
{
    public const string Section = "Transformer";

    /// <summary>The model name clients use in <c>/v1/models/{name}</c> (the InferenceService's name).</summary>
    public string ModelName { get; set; } = "";

    /// <summary>The predictor's host (and port), e.g. <c>reflection-predictor.maximus-models</c>.</summary>
    public string PredictorHost { get; set; } = "";

    /// <summary>The model name the predictor serves; by default <see cref="ModelName"/>.</summary>
    public string? PredictorModelName { get; set; }

    public string PredictorScheme { get; set; } = "http";

    public TimeSpan PredictorTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Largest batch accepted in one predict call.</summary>
    public int MaxInstances { get; set; } = 64;

    /// <summary>Longest text sent to the model per instance (the model's context, in characters).</summary>
    public int MaxInputChars { get; set; } = 2048;

    /// <summary>
    /// The model's classes in output order (index i of the model is Labels[i]) and the quality each class stands
    /// for. The defaults are the reflector's classifications.
    /// </summary>
    public IList<ReflectionLabel> Labels { get; set; } = [];

    public static IReadOnlyList<ReflectionLabel> DefaultLabels { get; } =
    [
        new("success", 1.0),
        new("success-with-surprise", 0.8),
        new("recovered", 0.7),
        new("rejected", 0.3),
        new("failure:precondition", 0.2),
        new("failure:arguments", 0.2),
        new("failure:timeout", 0.1),
        new("failure:unreachable", 0.1),
        new("failure", 0.1),
    ];

    public IReadOnlyList<ReflectionLabel> EffectiveLabels => Labels.Count > 0 ? [.. Labels] : DefaultLabels;

    public string EffectivePredictorModelName => string.IsNullOrWhiteSpace(PredictorModelName) ? ModelName : PredictorModelName;

    public IReadOnlyList<string> Problems()
    {
        var problems = new List<string>();
        if (string.IsNullOrWhiteSpace(ModelName))
        {
            problems.Add("the model name is required (--model_name or Transformer:ModelName).");
        }

        if (string.IsNullOrWhiteSpace(PredictorHost))
        {
            problems.Add("the predictor host is required (--predictor_host or Transformer:PredictorHost).");
        }

        if (PredictorScheme is not ("http" or "https"))
        {
            problems.Add("Transformer:PredictorScheme must be http or https.");
        }

        if (PredictorTimeout <= TimeSpan.Zero)
        {
            problems.Add("Transformer:PredictorTimeout must be positive.");
        }

        if (MaxInstances < 1)
        {
            problems.Add("Transformer:MaxInstances must be at least 1.");
        }

        if (MaxInputChars < 64)
        {
            problems.Add("Transformer:MaxInputChars must be at least 64.");
        }

        var labels = EffectiveLabels;
        if (labels.Any(l => string.IsNullOrWhiteSpace(l.Name) || l.Quality is < 0 or > 1 || double.IsNaN(l.Quality)))
        {
            problems.Add("Transformer:Labels need a name and a quality from 0 to 1.");
        }

        if (labels.Select(l => l.Name).Distinct(StringComparer.Ordinal).Count() != labels.Count)
        {
            problems.Add("Transformer:Labels must be distinct.");
        }

        return problems;
    }
}

/// <summary>One class of the reflection model and the quality score it stands for.</summary>
public sealed class ReflectionLabel
{
    public ReflectionLabel()
    {
    }

    public ReflectionLabel(string name, double quality)
    {
        Name = name;
        Quality = quality;
    }

    public string Name { get; set; } = "";

    /// <summary>0 (a useless run) to 1 (a clean success).</summary>
    public double Quality { get; set; }
}
