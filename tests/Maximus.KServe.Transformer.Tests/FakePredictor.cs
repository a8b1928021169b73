using System.Net;
using System.Text;
using System.Text.Json.Nodes;

namespace Maximus.KServe.Transformer.Tests;

/// <summary>The predictor behind the transformer: records requests, answers with a function of them.</summary>
public sealed class FakePredictor : HttpMessageHandler
{
    public List<(HttpMethod Method, Uri Uri, JsonNode? Body)> Requests { get; } = [];

    /// <summary>Answer to a predict call, given the texts the transformer sent.</summary>
    public Func<IReadOnlyList<string>, (HttpStatusCode Status, string Body)> Predict { get; set; } =
        texts => (HttpStatusCode.OK, new JsonObject { ["predictions"] = new JsonArray([.. texts.Select(_ => (JsonNode)JsonValue.Create(0))]) }.ToJsonString());

    public bool Ready { get; set; } = true;

    public bool Unreachable { get; set; }

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var body = request.Content is null ? null : JsonNode.Parse(await request.Content.ReadAsStringAsync(cancellationToken));
        lock (Requests)
        {
            Requests.Add((request.Method, request.RequestUri!, body));
        }

        if (Unreachable)
        {
            throw new HttpRequestException("Connection refused (reflection-predictor.maximus-models:80)");
        }

        if (request.Method == HttpMethod.Get)
        {
            var status = new JsonObject { ["name"] = "reflection", ["ready"] = Ready }.ToJsonString();
            return Json(Ready ? HttpStatusCode.OK : HttpStatusCode.ServiceUnavailable, status);
        }

        var texts = (body?["instances"] as JsonArray ?? []).Select(t => t!.GetValue<string>()).ToList();
        var (code, answer) = Predict(texts);
        return Json(code, answer);
    }

    private static HttpResponseMessage Json(HttpStatusCode status, string body) =>
        new(status) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
}
