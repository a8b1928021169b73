using Maximus.Contracts;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.AI;

namespace Maximus.Llm.Gemini;

/// <summary>
/// Gemini embeddings behind the same <see cref="IEmbeddingGenerator{TInput, TEmbedding}"/> as the local MiniLM model:
/// <c>batchEmbedContents</c> on the Gemini API, <c>predict</c> on Vertex AI. The dimension is fixed per generator
/// (<c>outputDimensionality</c>), so the memory service's start-up dimension check holds.
/// </summary>
public sealed class GeminiEmbeddingGenerator : IEmbeddingGenerator<string, Embedding<float>>
{
    public const string DefaultModel = "gemini-embedding-001";

    /// <summary>Texts per request (the API's batch limit is 100).</summary>
    public const int MaxBatch = 100;

    private readonly HttpClient _http;
    private readonly GeminiOptions _options;
    private readonly IGeminiAuthentication _authentication;
    private readonly string _model;
    private readonly int _dimensions;
    private readonly EmbeddingGeneratorMetadata _metadata;

    public GeminiEmbeddingGenerator(HttpClient http, GeminiOptions options, IGeminiAuthentication authentication, string model = DefaultModel, int dimensions = 768)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(dimensions, 1);
        _http = http;
        _options = options;
        _authentication = authentication;
        _model = model;
        _dimensions = dimensions;
        _metadata = new EmbeddingGeneratorMetadata(options.UsesVertex ? "gcp.vertex_ai" : "gcp.gemini", null, model, dimensions);
    }

    /// <summary>
    /// The task type sent with every text (RETRIEVAL_DOCUMENT for stored memories); a call whose texts are marked as
    /// queries (<see cref="EmbeddingInput"/>) is sent as <see cref="QueryTaskType"/>.
    /// </summary>
    public string TaskType { get; init; } = "RETRIEVAL_DOCUMENT";

    /// <summary>The task type of texts marked as queries.</summary>
    public string QueryTaskType { get; init; } = "RETRIEVAL_QUERY";

    public async Task<GeneratedEmbeddings<Embedding<float>>> GenerateAsync(
        IEnumerable<string> values, EmbeddingGenerationOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(values);
        var texts = values.ToList();
        var taskType = options?.AdditionalProperties?.TryGetValue(EmbeddingInput.Property, out var input) == true
            && input is string kind && string.Equals(kind, EmbeddingInput.Query, StringComparison.Ordinal) ? QueryTaskType : TaskType;
        var result = new GeneratedEmbeddings<Embedding<float>>();
        foreach (var batch in texts.Chunk(MaxBatch))
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, Endpoint())
            {
                Content = new StringContent(Body(batch, taskType).ToJsonString(), Encoding.UTF8, "application/json"),
            };
            await _authentication.AuthenticateAsync(request, cancellationToken).ConfigureAwait(false);
            using var response = await _http.SendAsync(request, cancellationToken).ConfigureAwait(false);
            var text = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
            if (!response.IsSuccessStatusCode)
            {
                throw GeminiResponseParser.Error(response.StatusCode, text, response.Headers, response.ReasonPhrase);
            }

            foreach (var vector in Parse(text))
            {
                if (vector.Length != _dimensions)
                {
                    throw new InvalidOperationException($"Gemini answered a {vector.Length}-dimension embedding; this generator is set to {_dimensions}.");
                }

                result.Add(new Embedding<float>(vector) { ModelId = _model });
            }
        }

        if (result.Count != texts.Count)
        {
            throw new InvalidOperationException($"Gemini answered {result.Count} embeddings for {texts.Count} texts.");
        }

        return result;
    }

    public object? GetService(Type serviceType, object? serviceKey = null) =>
        serviceKey is null && serviceType.IsInstanceOfType(_metadata) ? _metadata
        : serviceKey is null && serviceType.IsInstanceOfType(this) ? this
        : null;

    public void Dispose()
    {
    }

    /// <summary>The request URL (exposed for tests and diagnostics).</summary>
    public Uri Endpoint()
    {
        if (!_options.UsesVertex)
        {
            return new Uri($"{_options.BaseUrl.TrimEnd('/')}/{_options.ApiVersion.Trim('/')}/models/{_model}:batchEmbedContents");
        }

        var vertex = _options.Vertex;
        var location = string.IsNullOrWhiteSpace(vertex.Location) ? "global" : vertex.Location.Trim();
        var host = !string.IsNullOrWhiteSpace(vertex.BaseUrl)
            ? vertex.BaseUrl.TrimEnd('/')
            : location == "global" ? "https://aiplatform.googleapis.com" : $"https://{location}-aiplatform.googleapis.com";
        return new Uri($"{host}/{vertex.ApiVersion.Trim('/')}/projects/{vertex.Project!.Trim()}/locations/{location}/publishers/google/models/{_model}:predict");
    }

    private JsonObject Body(IEnumerable<string> texts, string taskType)
    {
        if (_options.UsesVertex)
        {
            return new JsonObject
            {
                ["instances"] = new JsonArray([.. texts.Select(t => (JsonNode)new JsonObject { ["content"] = t, ["task_type"] = taskType })]),
                ["parameters"] = new JsonObject { ["outputDimensionality"] = _dimensions },
            };
        }

        return new JsonObject
        {
            ["requests"] = new JsonArray([.. texts.Select(t => (JsonNode)new JsonObject
            {
                ["model"] = $"models/{_model}",
                ["content"] = new JsonObject { ["parts"] = new JsonArray(new JsonObject { ["text"] = t }) },
                ["taskType"] = taskType,
                ["outputDimensionality"] = _dimensions,
            })]),
        };
    }

    private static IEnumerable<float[]> Parse(string json)
    {
        using var doc = JsonDocument.Parse(json);
        var root = doc.RootElement;
        if (root.TryGetProperty("embeddings", out var embeddings))
        {
            return embeddings.EnumerateArray().Select(e => Values(e.GetProperty("values"))).ToList();
        }

        if (root.TryGetProperty("predictions", out var predictions))
        {
            return predictions.EnumerateArray().Select(p => Values(p.GetProperty("embeddings").GetProperty("values"))).ToList();
        }

        throw new InvalidOperationException("Gemini's embedding answer holds neither 'embeddings' nor 'predictions'.");
    }

    private static float[] Values(JsonElement values) => values.EnumerateArray().Select(v => v.GetSingle()).ToArray();
}
