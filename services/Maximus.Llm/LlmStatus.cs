using Maximus.Llm.Gemini;
using Maximus.Llm.OpenAICompatible;
using Microsoft.Extensions.Configuration;

namespace Maximus.Llm;

/// <summary>
/// Which provider the configuration selects, decided once at start-up: <c>Maximus:Llm:Provider</c> when set (an
/// explicit <c>gemini</c> without a key reads it from the secret store), else Gemini when a key or a Vertex project is
/// configured, else an OpenAI-compatible endpoint when one is configured, else none. No provider: no <c>IChatClient</c> is registered and the system plans and reflects
/// without a model.
/// </summary>
public sealed record LlmStatus(string Provider, bool Configured, string Reason)
{
    public static IReadOnlyList<string> KnownProviders { get; } = [LlmOptions.GeminiProvider, LlmOptions.OpenAICompatibleProvider, LlmOptions.NoProvider];

    /// <summary>What to set to configure a model (printed by <c>maximus llm ask</c> when none is).</summary>
    public const string HowToConfigure = """
        Configure a model with one of these (environment variables, or the same keys in appsettings.json):
          Gemini API:        GEMINI_API_KEY=<your key>            (or Maximus__Llm__Gemini__ApiKey=<your key>)
                             optional: Maximus__Llm__Gemini__Model=gemini-3-pro-preview, Maximus__Llm__Gemini__FastModel=gemini-2.5-flash-lite
          Gemini, key in the secret store: Maximus__Llm__Provider=gemini and the secret 'gemini-api-key' in the Dapr secret
                             store maximus-secretstore (embedded runtime: MAXIMUS_SECRET_GEMINI_API_KEY or secrets.json in the data folder)
          Vertex AI:         Maximus__Llm__Gemini__Vertex__Project=<project>, Maximus__Llm__Gemini__Vertex__Location=<region or global>
                             and Maximus__Llm__Gemini__Vertex__AccessToken=$(gcloud auth print-access-token)
                             (or Maximus__Llm__Gemini__Vertex__UseMetadataServer=true on GCE/GKE)
          OpenAI-compatible: Maximus__Llm__Provider=openai-compatible, Maximus__Llm__OpenAI__Endpoint=http://localhost:11434/v1
                             and Maximus__Llm__OpenAI__Model=<model> (OPENAI_API_KEY if the endpoint needs a key)
        """;

    public static LlmStatus Detect(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        static bool Has(string? value) => !string.IsNullOrWhiteSpace(value);
        var g = GeminiOptions.Section;
        var o = OpenAICompatibleOptions.Section;
        var geminiKey = Has(configuration[$"{g}:ApiKey"]) || Has(configuration[GeminiOptions.ApiKeyVariable]);
        var vertex = Has(configuration[$"{g}:Vertex:Project"]);
        var openAi = Has(configuration[$"{o}:Endpoint"]) && Has(configuration[$"{o}:Model"]);
        var provider = configuration[$"{LlmOptions.Section}:Provider"]?.Trim().ToLowerInvariant();

        LlmStatus Gemini(string how) => new(LlmOptions.GeminiProvider, true, how);
        LlmStatus OpenAi() => new(LlmOptions.OpenAICompatibleProvider, true, $"OpenAI-compatible endpoint {configuration[$"{o}:Endpoint"]}");
        LlmStatus None(string why) => new(LlmOptions.NoProvider, false, why);
        var secretName = configuration[$"{g}:ApiKeySecretName"] is { Length: > 0 } n ? n : "gemini-api-key";
        LlmStatus? DetectGemini() =>
            vertex ? Gemini($"Vertex AI project {configuration[$"{g}:Vertex:Project"]}")
            : geminiKey ? Gemini("Gemini API key")
            : null;

        return provider switch
        {
            LlmOptions.NoProvider => None("Maximus:Llm:Provider is 'none'."),
            LlmOptions.GeminiProvider => DetectGemini() ?? Gemini($"Gemini API key from the secret store (secret '{secretName}')"),
            LlmOptions.OpenAICompatibleProvider => openAi ? OpenAi() : None("Maximus:Llm:Provider is 'openai-compatible' but Maximus:Llm:OpenAI:Endpoint or Maximus:Llm:OpenAI:Model is not set."),
            null or "" => DetectGemini() is { } gemini ? gemini
                : openAi ? OpenAi()
                : None("No model is configured: no GEMINI_API_KEY, Gemini key, Vertex project or OpenAI-compatible endpoint."),
            _ => None($"Maximus:Llm:Provider '{provider}' is unknown (gemini, openai-compatible or none)."),
        };
    }
}
