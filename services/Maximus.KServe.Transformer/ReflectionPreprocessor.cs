using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Maximus.KServe.Transformer;

/// <summary>
/// Pre-processing: turns each V1 instance (an execution log as the reflector receives it, or text that is already
/// model input) into the one-line text the reflection model was trained on (format v1):
/// <c>outcome=Failed action=stack(a,b) steps=4 failures=1 surprise=true duration_ms=12.5 error=... observation=...</c>.
/// Free text (error, observation) is whitespace-normalised and cut so the line fits the model's input.
/// </summary>
public sealed class ReflectionPreprocessor(int maxInputChars)
{
    private static readonly string[] Outcomes = ["Succeeded", "Failed", "Rejected"];

    /// <summary>Texts for the predictor, one per instance, in order.</summary>
    /// <exception cref="TransformerInputException">An instance is not an execution log or text.</exception>
    public IReadOnlyList<string> Preprocess(IReadOnlyList<JsonElement> instances) =>
        [.. instances.Select((instance, index) => Preprocess(instance, index))];

    public string Preprocess(JsonElement instance, int index) => instance.ValueKind switch
    {
        JsonValueKind.String => Cut(Normalise(instance.GetString()!)),
        JsonValueKind.Object => FromLog(instance, index),
        _ => throw new TransformerInputException($"instances[{index}] must be an execution log object or a string, not {instance.ValueKind}."),
    };

    private string FromLog(JsonElement log, int index)
    {
        var action = RequiredString(log, "action", index);
        var outcome = Outcome(log, index);
        var text = new StringBuilder(256)
            .Append("outcome=").Append(outcome)
            .Append(" action=").Append(Normalise(action));
        AppendNumber(text, log, "steps", "steps", index);
        AppendNumber(text, log, "failures", "failures", index);
        if (log.TryGetProperty("surprise", out var surprise) && surprise.ValueKind is JsonValueKind.True or JsonValueKind.False)
        {
            text.Append(" surprise=").Append(surprise.ValueKind == JsonValueKind.True ? "true" : "false");
        }

        AppendNumber(text, log, "durationMs", "duration_ms", index);

        // Error first: it carries the most signal, and the observation is cut first when the line is too long.
        var head = text.ToString();
        var error = OptionalString(log, "error", index);
        var observation = OptionalString(log, "observation", index);
        var room = maxInputChars - head.Length;
        var errorPart = error is null ? "" : " error=" + Normalise(error);
        if (errorPart.Length > room)
        {
            errorPart = Cut(errorPart, room);
        }

        var observationPart = observation is null ? "" : " observation=" + Normalise(observation);
        observationPart = Cut(observationPart, room - errorPart.Length);
        return Cut(head + errorPart + observationPart);
    }

    private static string Outcome(JsonElement log, int index)
    {
        if (!log.TryGetProperty("outcome", out var outcome))
        {
            throw new TransformerInputException($"instances[{index}].outcome is required.");
        }

        if (outcome.ValueKind == JsonValueKind.String)
        {
            var text = outcome.GetString();
            var known = Outcomes.FirstOrDefault(o => string.Equals(o, text, StringComparison.OrdinalIgnoreCase));
            return known ?? throw new TransformerInputException($"instances[{index}].outcome must be one of {string.Join(", ", Outcomes)}, not '{text}'.");
        }

        if (outcome.ValueKind == JsonValueKind.Number && outcome.TryGetInt32(out var number) && number >= 0 && number < Outcomes.Length)
        {
            return Outcomes[number];
        }

        throw new TransformerInputException($"instances[{index}].outcome must be one of {string.Join(", ", Outcomes)}.");
    }

    private static string RequiredString(JsonElement log, string name, int index) =>
        OptionalString(log, name, index) is { Length: > 0 } value
            ? value
            : throw new TransformerInputException($"instances[{index}].{name} is required.");

    private static string? OptionalString(JsonElement log, string name, int index)
    {
        if (!log.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        return value.ValueKind == JsonValueKind.String
            ? value.GetString()
            : throw new TransformerInputException($"instances[{index}].{name} must be a string.");
    }

    private static void AppendNumber(StringBuilder text, JsonElement log, string name, string key, int index)
    {
        if (!log.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return;
        }

        if (value.ValueKind != JsonValueKind.Number || !value.TryGetDouble(out var number) || number < 0)
        {
            throw new TransformerInputException($"instances[{index}].{name} must be a non-negative number.");
        }

        text.Append(' ').Append(key).Append('=').Append(Math.Round(number, 3).ToString(CultureInfo.InvariantCulture));
    }

    private static string Normalise(string text) =>
        string.Join(' ', text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries));

    private string Cut(string text) => Cut(text, maxInputChars);

    private static string Cut(string text, int max) =>
        max <= 0 ? "" : text.Length <= max ? text : text[..Math.Max(0, max - 1)] + "…";
}

/// <summary>The client's request is not valid V1 input for this model (answered 400).</summary>
public sealed class TransformerInputException(string message) : Exception(message);
