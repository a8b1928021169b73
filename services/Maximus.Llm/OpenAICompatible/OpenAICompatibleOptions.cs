namespace Maximus.Llm.OpenAICompatible;

/// <summary>
/// Any OpenAI-compatible chat completions endpoint (section <c>Maximus:Llm:OpenAI</c>): Ollama
/// (<c>http://localhost:11434/v1</c>), vLLM, LM Studio, or Gemini's own OpenAI endpoint
/// (<c>https://generativelanguage.googleapis.com/v1beta/openai/</c>).
/// </summary>
public sealed class OpenAICompatibleOptions
{
    public const string Section = "Maximus:Llm:OpenAI";

    /// <summary>The conventional environment variable of the key (read through configuration).</summary>
    public const string ApiKeyVariable = "OPENAI_API_KEY";

    /// <summary>The base URL, up to and including <c>/v1</c>.</summary>
    public string? Endpoint { get; set; }

    /// <summary>The key; local servers usually need none. Unset: <c>OPENAI_API_KEY</c>.</summary>
    public string? ApiKey { get; set; }

    public string? Model { get; set; }

    /// <summary>The model of fast requests; unset: <see cref="Model"/>.</summary>
    public string? FastModel { get; set; }

    /// <summary>Send the mode as <c>reasoning_effort</c> (low, medium, high): only for reasoning models that accept it.</summary>
    public bool SendReasoningEffort { get; set; }

    public string? ModelFor(ThinkingMode mode) =>
        mode == ThinkingMode.Fast && !string.IsNullOrWhiteSpace(FastModel) ? FastModel : Model;
}
