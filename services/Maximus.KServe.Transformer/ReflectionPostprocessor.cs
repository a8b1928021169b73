using System.Globalization;
using System.Text.Json;

namespace Maximus.KServe.Transformer;

/// <summary>The reflection of one execution log, as the transformer answers it.</summary>
/// <param name="Classification">The most likely class (the reflector's classification vocabulary).</param>
/// <param name="QualityScore">Expected quality: the class probabilities weighted by each class's quality (0 to 1).</param>
/// <param name="Confidence">Probability of <paramref name="Classification"/>.</param>
/// <param name="Scores">Probability per class.</param>
public sealed record ReflectionPrediction(string Classification, double QualityScore, double Confidence, IReadOnlyDictionary<string, double> Scores);

/// <summary>
/// Post-processing: reads the predictor's V1 <c>predictions</c> in any of the shapes KServe runtimes answer for a
/// sequence classifier (a class index; a list of probabilities or logits; a map from class index or name to
/// probability, as the Hugging Face runtime answers with <c>--return_probabilities</c>; a class name) and turns
/// each into a <see cref="ReflectionPrediction"/>.
/// </summary>
public sealed class ReflectionPostprocessor(IReadOnlyList<ReflectionLabel> labels)
{
    /// <exception cref="PredictorResponseException">The predictor's answer does not fit the request or the labels.</exception>
    public IReadOnlyList<ReflectionPrediction> Postprocess(JsonElement predictions, int expected)
    {
        if (predictions.ValueKind != JsonValueKind.Array)
        {
            throw new PredictorResponseException("the predictor's answer has no 'predictions' list.");
        }

        if (predictions.GetArrayLength() != expected)
        {
            throw new PredictorResponseException($"the predictor answered {predictions.GetArrayLength()} predictions for {expected} instances.");
        }

        return [.. predictions.EnumerateArray().Select((p, i) => Postprocess(Probabilities(p, i)))];
    }

    private ReflectionPrediction Postprocess(double[] probabilities)
    {
        var best = 0;
        for (var i = 1; i < probabilities.Length; i++)
        {
            if (probabilities[i] > probabilities[best])
            {
                best = i;
            }
        }

        var quality = 0.0;
        var scores = new Dictionary<string, double>(StringComparer.Ordinal);
        for (var i = 0; i < probabilities.Length; i++)
        {
            quality += probabilities[i] * labels[i].Quality;
            scores[labels[i].Name] = Math.Round(probabilities[i], 4);
        }

        return new ReflectionPrediction(labels[best].Name, Math.Round(Math.Clamp(quality, 0, 1), 4), Math.Round(probabilities[best], 4), scores);
    }

    private double[] Probabilities(JsonElement prediction, int index) => prediction.ValueKind switch
    {
        JsonValueKind.Number => OneHot(ClassIndex(prediction, index), index),
        JsonValueKind.String => OneHot(LabelIndex(prediction.GetString()!, index), index),
        JsonValueKind.Array => Normalise(ReadVector(prediction, index), index),
        JsonValueKind.Object => Normalise(ReadMap(prediction, index), index),
        _ => throw new PredictorResponseException($"predictions[{index}] is a {prediction.ValueKind}, not a class or class scores."),
    };

    private double[] OneHot(int classIndex, int index)
    {
        if (classIndex < 0 || classIndex >= labels.Count)
        {
            throw new PredictorResponseException($"predictions[{index}] is class {classIndex}, but {labels.Count} classes are configured.");
        }

        var vector = new double[labels.Count];
        vector[classIndex] = 1;
        return vector;
    }

    private static int ClassIndex(JsonElement prediction, int index) =>
        prediction.TryGetInt32(out var value) ? value : throw new PredictorResponseException($"predictions[{index}] is not a class index.");

    private int LabelIndex(string name, int index)
    {
        for (var i = 0; i < labels.Count; i++)
        {
            if (string.Equals(labels[i].Name, name, StringComparison.Ordinal))
            {
                return i;
            }
        }

        throw new PredictorResponseException($"predictions[{index}] names the unknown class '{name}'.");
    }

    private double[] ReadVector(JsonElement prediction, int index)
    {
        if (prediction.GetArrayLength() != labels.Count)
        {
            throw new PredictorResponseException($"predictions[{index}] has {prediction.GetArrayLength()} scores, but {labels.Count} classes are configured.");
        }

        return [.. prediction.EnumerateArray().Select(v => Number(v, index))];
    }

    private double[] ReadMap(JsonElement prediction, int index)
    {
        var vector = new double[labels.Count];
        foreach (var property in prediction.EnumerateObject())
        {
            var classIndex = int.TryParse(property.Name, NumberStyles.None, CultureInfo.InvariantCulture, out var i) ? i : LabelIndex(property.Name, index);
            if (classIndex >= labels.Count)
            {
                throw new PredictorResponseException($"predictions[{index}] scores class {classIndex}, but {labels.Count} classes are configured.");
            }

            vector[classIndex] = Number(property.Value, index);
        }

        return vector;
    }

    private static double Number(JsonElement value, int index) => value.ValueKind switch
    {
        JsonValueKind.Number => value.GetDouble(),
        JsonValueKind.String when double.TryParse(value.GetString(), NumberStyles.Float, CultureInfo.InvariantCulture, out var parsed) => parsed,
        _ => throw new PredictorResponseException($"predictions[{index}] holds a score that is not a number."),
    };

    /// <summary>Probabilities as they are (sum 1), rescaled when they do not sum to 1, or a softmax of logits.</summary>
    private static double[] Normalise(double[] scores, int index)
    {
        if (scores.Any(s => double.IsNaN(s) || double.IsInfinity(s)))
        {
            throw new PredictorResponseException($"predictions[{index}] holds a score that is not finite.");
        }

        if (scores.All(s => s is >= 0 and <= 1))
        {
            var sum = scores.Sum();
            if (sum <= 0)
            {
                throw new PredictorResponseException($"predictions[{index}] has no positive score.");
            }

            return Math.Abs(sum - 1) < 1e-3 ? scores : [.. scores.Select(s => s / sum)];
        }

        var max = scores.Max();
        var exp = scores.Select(s => Math.Exp(s - max)).ToArray();
        var total = exp.Sum();
        return [.. exp.Select(e => e / total)];
    }
}

/// <summary>The predictor's answer cannot be post-processed (answered 502).</summary>
public sealed class PredictorResponseException(string message) : Exception(message);
