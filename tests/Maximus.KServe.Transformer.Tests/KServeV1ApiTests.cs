using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Maximus.KServe.Transformer.Tests;

/// <summary>The transformer's V1 endpoints end to end, through WebApplicationFactory, with a fake predictor.</summary>
public sealed class KServeV1ApiTests : IDisposable
{
    private const string Log = """
        {"logId": "l1", "missionId": "m1", "agentId": "a", "stepIndex": 0, "action": "stack(a,b)", "outcome": "Failed",
         "durationMs": 8, "timestamp": "2026-01-01T00:00:00Z", "error": "precondition (clear b) does not hold"}
        """;

    private readonly FakePredictor _predictor = new();
    private readonly TransformerFactory _factory;

    public KServeV1ApiTests() => _factory = new TransformerFactory(_predictor);

    public void Dispose() => _factory.Dispose();

    private static StringContent Body(string json) => new(json, Encoding.UTF8, "application/json");

    private async Task<(HttpStatusCode Status, JsonNode? Body)> PostAsync(string path, string json)
    {
        var response = await _factory.CreateClient().PostAsync(path, Body(json), TestContext.Current.CancellationToken);
        return (response.StatusCode, JsonNode.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken)));
    }

    [Fact]
    public async Task Predict_preprocesses_instances_calls_the_predictor_and_postprocesses_predictions()
    {
        _predictor.Predict = texts => (HttpStatusCode.OK, $$"""{"predictions": [{{string.Join(",", texts.Select(_ => """{"0": 0.1, "8": 0.9}"""))}}]}""");

        var (status, body) = await PostAsync("/v1/models/reflection:predict", $$"""{"instances": [{{Log}}, "outcome=Succeeded action=pick-up(a)"]}""");

        Assert.Equal(HttpStatusCode.OK, status);
        var predictions = Assert.IsType<JsonArray>(body?["predictions"]);
        Assert.Equal(2, predictions.Count);
        Assert.Equal("failure", predictions[0]?["classification"]?.GetValue<string>());
        Assert.Equal(0.19, predictions[0]?["qualityScore"]?.GetValue<double>());
        Assert.Equal(0.9, predictions[0]?["confidence"]?.GetValue<double>());

        var call = Assert.Single(_predictor.Requests);
        Assert.Equal(HttpMethod.Post, call.Method);
        Assert.Equal("http://reflection-predictor.maximus-models/v1/models/reflection:predict", call.Uri.ToString());
        var sent = Assert.IsType<JsonArray>(call.Body?["instances"]);
        Assert.Equal("outcome=Failed action=stack(a,b) duration_ms=8 error=precondition (clear b) does not hold", sent[0]?.GetValue<string>());
        Assert.Equal("outcome=Succeeded action=pick-up(a)", sent[1]?.GetValue<string>());
    }

    [Fact]
    public async Task Model_is_ready_when_its_predictor_is()
    {
        var client = _factory.CreateClient();
        var ct = TestContext.Current.CancellationToken;

        var ready = await client.GetAsync("/v1/models/reflection", ct);
        _predictor.Ready = false;
        var notReady = await client.GetAsync("/v1/models/reflection", ct);

        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        Assert.True(JsonNode.Parse(await ready.Content.ReadAsStringAsync(ct))?["ready"]?.GetValue<bool>());
        Assert.Equal(HttpStatusCode.ServiceUnavailable, notReady.StatusCode);
        Assert.False(JsonNode.Parse(await notReady.Content.ReadAsStringAsync(ct))?["ready"]?.GetValue<bool>());
    }

    [Fact]
    public async Task Liveness_and_model_list_answer_without_the_predictor()
    {
        _predictor.Unreachable = true;
        var client = _factory.CreateClient();
        var ct = TestContext.Current.CancellationToken;

        var alive = JsonNode.Parse(await client.GetStringAsync("/", ct));
        var models = JsonNode.Parse(await client.GetStringAsync("/v1/models", ct));

        Assert.Equal("alive", alive?["status"]?.GetValue<string>());
        Assert.Equal("reflection", models?["models"]?[0]?.GetValue<string>());
    }

    [Fact]
    public async Task Unknown_model_is_404_in_kserve_error_shape()
    {
        var (status, body) = await PostAsync("/v1/models/other:predict", """{"instances": ["x"]}""");

        Assert.Equal(HttpStatusCode.NotFound, status);
        Assert.Equal("Model with name other does not exist.", body?["error"]?.GetValue<string>());
        Assert.Empty(_predictor.Requests);
    }

    [Theory]
    [InlineData("""{"inputs": []}""", "the body must be {\"instances\": [...]} (KServe V1).")]
    [InlineData("""{"instances": []}""", "instances must not be empty.")]
    [InlineData("""{"instances": [{"outcome": "Failed"}]}""", "instances[0].action is required.")]
    [InlineData("""{"instances": [""", "the body is not valid JSON")]
    public async Task Bad_input_is_400_naming_the_problem_and_never_reaches_the_predictor(string json, string message)
    {
        var (status, body) = await PostAsync("/v1/models/reflection:predict", json);

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.StartsWith(message, body?["error"]?.GetValue<string>(), StringComparison.Ordinal);
        Assert.Empty(_predictor.Requests);
    }

    [Fact]
    public async Task Too_many_instances_are_refused()
    {
        var instances = string.Join(",", Enumerable.Repeat("\"x\"", 65));

        var (status, body) = await PostAsync("/v1/models/reflection:predict", $$"""{"instances": [{{instances}}]}""");

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("instances holds 65 items; at most 64 per request.", body?["error"]?.GetValue<string>());
    }

    [Fact]
    public async Task Unreachable_predictor_is_503()
    {
        _predictor.Unreachable = true;

        var (status, body) = await PostAsync("/v1/models/reflection:predict", """{"instances": ["x"]}""");

        Assert.Equal(HttpStatusCode.ServiceUnavailable, status);
        Assert.Contains("unreachable", body?["error"]?.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Predictor_error_or_mismatched_answer_is_502()
    {
        _predictor.Predict = _ => (HttpStatusCode.InternalServerError, """{"error": "CUDA out of memory"}""");
        var (failed, _) = await PostAsync("/v1/models/reflection:predict", """{"instances": ["x"]}""");

        _predictor.Predict = _ => (HttpStatusCode.OK, """{"predictions": [0, 1]}""");
        var (mismatched, body) = await PostAsync("/v1/models/reflection:predict", """{"instances": ["x"]}""");

        Assert.Equal(HttpStatusCode.BadGateway, failed);
        Assert.Equal(HttpStatusCode.BadGateway, mismatched);
        Assert.Equal("the predictor answered 2 predictions for 1 instances.", body?["error"]?.GetValue<string>());
    }

    [Fact]
    public void Kserve_arguments_fill_the_options()
    {
        var options = _factory.Services.GetRequiredService<IOptions<TransformerOptions>>().Value;

        Assert.Equal("reflection", options.ModelName);
        Assert.Equal("reflection-predictor.maximus-models", options.PredictorHost);
        Assert.Equal(TransformerOptions.DefaultLabels.Select(l => l.Name), options.EffectiveLabels.Select(l => l.Name));
    }

    [Fact]
    public async Task Json_content_type_is_required()
    {
        var response = await _factory.CreateClient().PostAsync(
            "/v1/models/reflection:predict", new StringContent("""{"instances": ["x"]}""", Encoding.UTF8, "text/plain"), TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(
            "the body must be JSON (Content-Type: application/json).",
            JsonNode.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken))?["error"]?.GetValue<string>());
    }
}
