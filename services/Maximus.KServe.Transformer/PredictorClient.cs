using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.Options;

namespace Maximus.KServe.Transformer;

/// <summary>The predictor's KServe V1 endpoints: <c>POST /v1/models/{name}:predict</c> and <c>GET /v1/models/{name}</c>.</summary>
public sealed class PredictorClient(IHttpClientFactory clients, IOptions<TransformerOptions> options)
{
    public const string HttpClientName = "predictor";

    private readonly TransformerOptions _options = options.Value;

    private Uri ModelUri(string suffix) =>
        new($"{_options.PredictorScheme}://{_options.PredictorHost}/v1/models/{Uri.EscapeDataString(_options.EffectivePredictorModelName)}{suffix}");

    /// <summary>Sends <c>{"instances": texts}</c> and returns the <c>predictions</c> element (cloned).</summary>
    /// <exception cref="PredictorUnavailableException">The predictor could not be reached, timed out or answered 5xx.</exception>
    /// <exception cref="PredictorResponseException">The predictor answered something that is not a V1 response.</exception>
    public async Task<JsonElement> PredictAsync(IReadOnlyList<string> texts, CancellationToken cancellationToken)
    {
        var http = clients.CreateClient(HttpClientName);
        HttpResponseMessage response;
        try
        {
            response = await http.PostAsJsonAsync(ModelUri(":predict"), new PredictorRequest(texts), TransformerJson.Default.PredictorRequest, cancellationToken)
                .ConfigureAwait(false);
        }
        catch (HttpRequestException ex)
        {
            throw new PredictorUnavailableException($"the predictor {_options.PredictorHost} is unreachable: {ex.Message}", HttpStatusCode.ServiceUnavailable, ex);
        }
        catch (TaskCanceledException ex) when (!cancellationToken.IsCancellationRequested)
        {
            throw new PredictorUnavailableException($"the predictor {_options.PredictorHost} did not answer within {_options.PredictorTimeout}.", HttpStatusCode.GatewayTimeout, ex);
        }

        using (response)
        {
            if ((int)response.StatusCode >= 500)
            {
                throw new PredictorUnavailableException($"the predictor answered {(int)response.StatusCode}.", HttpStatusCode.BadGateway);
            }

            if (!response.IsSuccessStatusCode)
            {
                var body = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
                throw new PredictorResponseException($"the predictor refused the transformed request ({(int)response.StatusCode}): {Truncate(body)}");
            }

            try
            {
                using var document = await JsonDocument.ParseAsync(
                    await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false), cancellationToken: cancellationToken).ConfigureAwait(false);
                return document.RootElement.ValueKind == JsonValueKind.Object && document.RootElement.TryGetProperty("predictions", out var predictions)
                    ? predictions.Clone()
                    : throw new PredictorResponseException("the predictor's answer has no 'predictions' list.");
            }
            catch (JsonException ex)
            {
                throw new PredictorResponseException($"the predictor's answer is not JSON: {ex.Message}");
            }
        }
    }

    /// <summary>The predictor's V1 readiness; false when it is unreachable or not ready.</summary>
    public async Task<bool> IsReadyAsync(CancellationToken cancellationToken)
    {
        try
        {
            using var response = await clients.CreateClient(HttpClientName).GetAsync(ModelUri(""), cancellationToken).ConfigureAwait(false);
            if (!response.IsSuccessStatusCode)
            {
                return false;
            }

            var status = await response.Content.ReadFromJsonAsync(TransformerJson.Default.ModelStatus, cancellationToken).ConfigureAwait(false);
            return status?.Ready == true;
        }
        catch (Exception ex) when (ex is HttpRequestException or JsonException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
        {
            return false;
        }
    }

    private static string Truncate(string text) => text.Length <= 300 ? text : text[..300] + "…";
}

/// <summary>The predictor could not answer (answered 502, 503 or 504 to the client).</summary>
public sealed class PredictorUnavailableException(string message, HttpStatusCode status, Exception? inner = null) : Exception(message, inner)
{
    public HttpStatusCode Status { get; } = status;
}
