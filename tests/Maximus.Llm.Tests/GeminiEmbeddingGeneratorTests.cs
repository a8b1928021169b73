using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Maximus.Llm.Gemini;
using Microsoft.Extensions.AI;

namespace Maximus.Llm.Tests;

public sealed class GeminiEmbeddingGeneratorTests
{
    [Fact]
    public async Task Texts_are_embedded_in_one_batch_request_with_the_fixed_dimension()
    {
        var handler = new Recording(_ => """{"embeddings": [{"values": [0.1, 0.2, 0.3]}, {"values": [0.3, 0.2, 0.1]}]}""");
        var options = new GeminiOptions { ApiKey = "test-key" };
        using var generator = new GeminiEmbeddingGenerator(new HttpClient(handler), options, new GeminiAuthentication(options), dimensions: 3);

        var embeddings = await generator.GenerateAsync(["first memory", "second memory"], cancellationToken: TestContext.Current.CancellationToken);

        Assert.Equal(2, embeddings.Count);
        Assert.Equal([0.3f, 0.2f, 0.1f], embeddings[1].Vector.ToArray());
        Assert.Equal(3, generator.GetService<EmbeddingGeneratorMetadata>()!.DefaultModelDimensions);
        var request = Assert.Single(handler.Bodies);
        Assert.EndsWith("/v1beta/models/gemini-embedding-001:batchEmbedContents", handler.Urls[0], StringComparison.Ordinal);
        Assert.Equal("second memory", request["requests"]![1]!["content"]!["parts"]![0]!["text"]!.GetValue<string>());
        Assert.Equal(3, request["requests"]![0]!["outputDimensionality"]!.GetValue<int>());
        Assert.Equal("test-key", handler.ApiKeys[0]);
    }

    [Fact]
    public async Task A_wrong_dimension_or_an_api_error_is_refused()
    {
        var options = new GeminiOptions { ApiKey = "k" };
        using var wrong = new GeminiEmbeddingGenerator(new HttpClient(new Recording(_ => """{"embeddings": [{"values": [1, 2]}]}""")), options, new GeminiAuthentication(options), dimensions: 3);
        using var failing = new GeminiEmbeddingGenerator(
            new HttpClient(new Recording(_ => """{"error": {"code": 403, "message": "API key not valid", "status": "PERMISSION_DENIED"}}""", HttpStatusCode.Forbidden)),
            options, new GeminiAuthentication(options), dimensions: 3);

        await Assert.ThrowsAsync<InvalidOperationException>(() => wrong.GenerateAsync(["x"], cancellationToken: TestContext.Current.CancellationToken));
        var denied = await Assert.ThrowsAsync<GeminiPermissionDeniedException>(() => failing.GenerateAsync(["x"], cancellationToken: TestContext.Current.CancellationToken));
        Assert.Contains("API key not valid", denied.Message, StringComparison.Ordinal);
    }

    private sealed class Recording(Func<string, string> answer, HttpStatusCode status = HttpStatusCode.OK) : HttpMessageHandler
    {
        public List<JsonNode> Bodies { get; } = [];

        public List<string> Urls { get; } = [];

        public List<string?> ApiKeys { get; } = [];

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var body = await request.Content!.ReadAsStringAsync(cancellationToken);
            Bodies.Add(JsonNode.Parse(body)!);
            Urls.Add(request.RequestUri!.ToString());
            ApiKeys.Add(request.Headers.TryGetValues("x-goog-api-key", out var keys) ? keys.Single() : null);
            return new HttpResponseMessage(status) { Content = new StringContent(answer(body), Encoding.UTF8, "application/json") };
        }
    }
}
