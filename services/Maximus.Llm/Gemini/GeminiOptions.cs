namespace Maximus.Llm.Gemini;

/// <summary>The Gemini provider (section <c>Maximus:Llm:Gemini</c>): the Gemini API by key, or Vertex AI by bearer token.</summary>
public sealed class GeminiOptions
{
    public const string Section = "Maximus:Llm:Gemini";

    /// <summary>The conventional environment variable of the Gemini API key (read through configuration).</summary>
    public const string ApiKeyVariable = "GEMINI_API_KEY";

    /// <summary>
    /// The Gemini API key (header <c>x-goog-api-key</c>). Unset: <c>GEMINI_API_KEY</c>; then, when the provider is set to
    /// <c>gemini</c> explicitly, the secret <see cref="ApiKeySecretName"/> of the secret store.
    /// </summary>
    public string? ApiKey { get; set; }

    /// <summary>The key's name in the secret store (<c>maximus-secretstore</c> on Dapr; local secrets on the embedded runtime).</summary>
    public string ApiKeySecretName { get; set; } = "gemini-api-key";

    /// <summary>The model of normal and deep requests (and of fast ones without <see cref="FastModel"/>).</summary>
    public string Model { get; set; } = "gemini-3-pro-preview";

    /// <summary>The model of fast requests: a 2 s latency budget needs a fast model. Empty: <see cref="Model"/>.</summary>
    public string? FastModel { get; set; } = "gemini-2.5-flash-lite";

    public string BaseUrl { get; set; } = "https://generativelanguage.googleapis.com";

    public string ApiVersion { get; set; } = "v1beta";

    /// <summary>Ask for thought summaries (<c>includeThoughts</c>) unless a request's reasoning options say otherwise.</summary>
    public bool IncludeThoughts { get; set; }

    public GeminiVertexOptions Vertex { get; set; } = new();

    /// <summary>
    /// Overrides of the mode table by model id prefix, e.g. <c>Thinking:gemini-3-pro:Normal = low</c> or
    /// <c>Thinking:gemini-2.5-flash:Deep = 12000</c>: a word is a thinking level, a number a thinking budget.
    /// </summary>
    public Dictionary<string, GeminiThinkingOverride> Thinking { get; set; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>True when requests go to Vertex AI (a project is configured).</summary>
    public bool UsesVertex => !string.IsNullOrWhiteSpace(Vertex.Project);

    /// <summary>The model for a mode when the request names none.</summary>
    public string ModelFor(ThinkingMode mode) =>
        mode == ThinkingMode.Fast && !string.IsNullOrWhiteSpace(FastModel) ? FastModel : Model;
}

/// <summary>Vertex AI: <c>https://{location}-aiplatform.googleapis.com/{version}/projects/{project}/locations/{location}/publishers/google/models/{model}</c>.</summary>
public sealed class GeminiVertexOptions
{
    public string? Project { get; set; }

    /// <summary>A region such as <c>europe-west4</c>, or <c>global</c>.</summary>
    public string Location { get; set; } = "global";

    public string ApiVersion { get; set; } = "v1";

    /// <summary>A bearer token (e.g. from <c>gcloud auth print-access-token</c>); it expires after about an hour.</summary>
    public string? AccessToken { get; set; }

    /// <summary>Without a token: ask the GCE/GKE metadata server for one (Workload Identity).</summary>
    public bool UseMetadataServer { get; set; }

    /// <summary>Overrides the endpoint host (tests, private endpoints); unset: derived from the location.</summary>
    public string? BaseUrl { get; set; }
}

public sealed class GeminiThinkingOverride
{
    public string? Fast { get; set; }

    public string? Normal { get; set; }

    public string? Deep { get; set; }
}
