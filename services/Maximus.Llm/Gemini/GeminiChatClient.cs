using System.Net.Http.Headers;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.AI;

namespace Maximus.Llm.Gemini;

/// <summary>
/// <see cref="IChatClient"/> over the Gemini REST API (<c>generateContent</c>, and <c>streamGenerateContent?alt=sse</c>
/// for streaming) on the Gemini API (API key) or Vertex AI (project, location, bearer token).
/// <list type="bullet">
/// <item>Thinking: <see cref="LlmChatOptions.ModeKey"/> (or <see cref="ChatOptions.Reasoning"/>'s effort) maps to
/// <c>thinkingLevel</c> / <c>thinkingBudget</c> by the model (<see cref="GeminiThinking"/>); reasoning output
/// Summary/Full (or <see cref="GeminiOptions.IncludeThoughts"/>) asks for thought summaries, returned as
/// <see cref="TextReasoningContent"/>.</item>
/// <item>Thought signatures are kept on the contents (<see cref="ThoughtSignatureKey"/>) and sent back.</item>
/// <item>Blocked prompts and safety stops are results (<see cref="GeminiOutcome"/>, finish reason ContentFilter);
/// error statuses are <see cref="GeminiApiException"/>s carrying the server's message.</item>
/// </list>
/// This client does not retry, time out or cache: the LLM pipeline around it does (see <c>AddLlm</c>).
/// </summary>
public sealed class GeminiChatClient : IChatClient
{
    /// <summary>The named HttpClient of the Gemini provider.</summary>
    public const string HttpClientName = "maximus-gemini";

    /// <summary>The content property holding a part's <c>thoughtSignature</c> (base64 text).</summary>
    public const string ThoughtSignatureKey = "thoughtSignature";

    /// <summary>Set on a function call whose id this client made up (the API sent none); such ids are not sent back.</summary>
    public const string GeneratedCallIdKey = "gemini.generatedCallId";

    /// <summary>
    /// The content property holding the <c>displayName</c> of a media part inside a function response (a
    /// <see cref="UriContent"/> has no name; a <see cref="DataContent"/> uses <see cref="DataContent.Name"/>).
    /// </summary>
    public const string DisplayNameKey = "gemini.displayName";

    /// <summary>On a <see cref="CodeInterpreterToolCallContent"/>: the <c>executableCode.language</c> (default <c>PYTHON</c>).</summary>
    public const string CodeLanguageKey = "gemini.codeLanguage";

    /// <summary>On a <see cref="CodeInterpreterToolResultContent"/>: the <c>codeExecutionResult.outcome</c>, e.g. <c>OUTCOME_OK</c>.</summary>
    public const string CodeOutcomeKey = "gemini.codeOutcome";

    /// <summary>Option keys starting with this are merged into the request body, e.g. <c>gemini:safetySettings</c>.</summary>
    public const string RequestFieldPrefix = "gemini:";

    private static readonly MediaTypeHeaderValue Json = new("application/json") { CharSet = "utf-8" };

    private readonly HttpClient _http;
    private readonly GeminiOptions _options;
    private readonly IGeminiAuthentication _authentication;
    private readonly ChatClientMetadata _metadata;

    public GeminiChatClient(HttpClient http, GeminiOptions options, IGeminiAuthentication? authentication = null)
    {
        ArgumentNullException.ThrowIfNull(http);
        ArgumentNullException.ThrowIfNull(options);
        _http = http;
        _options = options;
        _authentication = authentication ?? new GeminiAuthentication(options);
        _metadata = new ChatClientMetadata(options.UsesVertex ? "gcp.vertex_ai" : "gcp.gemini", Endpoint(options.Model, stream: false), options.Model);
    }

    /// <summary>The URL of a model's generateContent (or streamGenerateContent with <c>alt=sse</c>).</summary>
    public Uri Endpoint(string model, bool stream)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(model);
        var method = stream ? "streamGenerateContent?alt=sse" : "generateContent";
        var id = model.Trim();
        if (_options.UsesVertex)
        {
            var vertex = _options.Vertex;
            var location = string.IsNullOrWhiteSpace(vertex.Location) ? "global" : vertex.Location.Trim();
            var host = !string.IsNullOrWhiteSpace(vertex.BaseUrl)
                ? vertex.BaseUrl.TrimEnd('/')
                : location == "global" ? "https://aiplatform.googleapis.com" : $"https://{location}-aiplatform.googleapis.com";
            var resource = id.StartsWith("projects/", StringComparison.Ordinal)
                ? id
                : $"projects/{vertex.Project!.Trim()}/locations/{location}/publishers/google/models/{(id.StartsWith("models/", StringComparison.Ordinal) ? id[7..] : id)}";
            return new Uri($"{host}/{vertex.ApiVersion.Trim('/')}/{resource}:{method}");
        }

        var name = id.Contains('/', StringComparison.Ordinal) ? id : "models/" + id;
        return new Uri($"{_options.BaseUrl.TrimEnd('/')}/{_options.ApiVersion.Trim('/')}/{name}:{method}");
    }

    /// <summary>The request body this client sends for these messages and options (the replay tests compare it with recordings).</summary>
    internal JsonObject BuildRequest(IEnumerable<ChatMessage> messages, ChatOptions? options) =>
        GeminiRequestBuilder.Build(messages, options, ModelOf(options), _options);

    public async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        var model = ModelOf(options);
        using var request = await CreateRequestAsync(messages, options, model, stream: false, cancellationToken).ConfigureAwait(false);
        using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseContentRead, cancellationToken).ConfigureAwait(false);
        var body = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
        {
            throw GeminiResponseParser.Error(response.StatusCode, body, response.Headers, response.ReasonPhrase);
        }

        using var doc = Parse(body);
        return GeminiResponseParser.ParseResponse(doc.RootElement, model);
    }

    public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(
        IEnumerable<ChatMessage> messages, ChatOptions? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var model = ModelOf(options);
        using var request = await CreateRequestAsync(messages, options, model, stream: true, cancellationToken).ConfigureAwait(false);
        using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
        {
            var error = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
            throw GeminiResponseParser.Error(response.StatusCode, error, response.Headers, response.ReasonPhrase);
        }

        var stream = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        await using (stream.ConfigureAwait(false))
        {
            UsageDetails? usage = null;
            string? responseId = null, modelId = null, finishReason = null, finishMessage = null, blockReason = null, blockMessage = null;
            IReadOnlyList<GeminiSafetyRating> ratings = [];
            var calls = false;
            await foreach (var data in ServerSentEvents.ReadDataAsync(stream, cancellationToken).ConfigureAwait(false))
            {
                using var doc = Parse(data);
                var root = doc.RootElement;
                if (root.ValueKind == JsonValueKind.Object && root.TryGetProperty("error", out var error))
                {
                    var code = error.TryGetProperty("code", out var c) && c.TryGetInt32(out var n) ? n : 500;
                    throw GeminiResponseParser.Error((System.Net.HttpStatusCode)code, data, null, null);
                }

                var update = GeminiResponseParser.ParseChunk(root, model, ref calls);
                var outcome = GeminiResponseParser.Outcome(root);
                usage = GeminiResponseParser.Usage(root) ?? usage;
                responseId ??= update.ResponseId;
                modelId = update.ModelId ?? modelId;
                finishReason = outcome.FinishReason ?? finishReason;
                finishMessage = outcome.FinishMessage ?? finishMessage;
                blockReason = outcome.BlockReason ?? blockReason;
                blockMessage = outcome.BlockReasonMessage ?? blockMessage;
                ratings = outcome.SafetyRatings.Count > 0 ? outcome.SafetyRatings : ratings;
                if (update.Contents.Count > 0 || update.FinishReason is not null)
                {
                    yield return update;
                }
            }

            // Gemini repeats the running usage in every chunk: report it once, with the typed outcome.
            var final = new GeminiOutcome(finishReason, finishMessage, blockReason, blockMessage, ratings, modelId, responseId);
            yield return new ChatResponseUpdate(ChatRole.Assistant, usage is null ? [] : [new UsageContent(usage)])
            {
                ResponseId = responseId,
                MessageId = responseId,
                ModelId = modelId ?? model,
                FinishReason = GeminiResponseParser.FinishReason(final, calls),
                AdditionalProperties = new AdditionalPropertiesDictionary { [GeminiOutcome.Key] = final },
            };
        }
    }

    public object? GetService(Type serviceType, object? serviceKey = null)
    {
        ArgumentNullException.ThrowIfNull(serviceType);
        if (serviceKey is not null)
        {
            return null;
        }

        if (serviceType == typeof(ChatClientMetadata))
        {
            return _metadata;
        }

        return serviceType.IsInstanceOfType(this) ? this : null;
    }

    public void Dispose()
    {
    }

    private static JsonDocument Parse(string json)
    {
        try
        {
            return JsonDocument.Parse(json);
        }
        catch (JsonException ex)
        {
            throw new LlmException($"The Gemini API answered with something that is not JSON: {(json.Length > 200 ? json[..200] + "…" : json)}", ex);
        }
    }

    private string ModelOf(ChatOptions? options) =>
        string.IsNullOrWhiteSpace(options?.ModelId) ? _options.Model : options.ModelId;

    private async Task<HttpRequestMessage> CreateRequestAsync(
        IEnumerable<ChatMessage> messages, ChatOptions? options, string model, bool stream, CancellationToken cancellationToken)
    {
        var body = GeminiRequestBuilder.Build(messages, options, model, _options);
        var request = new HttpRequestMessage(HttpMethod.Post, Endpoint(model, stream))
        {
            Content = new StringContent(body.ToJsonString(), Encoding.UTF8, Json.MediaType!),
        };
        try
        {
            await _authentication.AuthenticateAsync(request, cancellationToken).ConfigureAwait(false);
            if (stream)
            {
                request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/event-stream"));
            }

            return request;
        }
        catch
        {
            request.Dispose();
            throw;
        }
    }
}
