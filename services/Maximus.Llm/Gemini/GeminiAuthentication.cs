using System.Net.Http.Headers;
using System.Text.Json;
using Maximus.Contracts.Ports;

namespace Maximus.Llm.Gemini;

/// <summary>Adds the credentials to a request: the API key header, or a Vertex AI bearer token.</summary>
public interface IGeminiAuthentication
{
    ValueTask AuthenticateAsync(HttpRequestMessage request, CancellationToken cancellationToken);
}

/// <summary>
/// The credentials the options describe. Gemini API: <c>x-goog-api-key</c> from <see cref="GeminiOptions.ApiKey"/>
/// (configuration or <c>GEMINI_API_KEY</c>), else the secret <see cref="GeminiOptions.ApiKeySecretName"/> of the
/// <see cref="ISecretStore"/> port (the Dapr secret store, or the embedded runtime's local secrets). Vertex AI: <c>Authorization: Bearer</c> with
/// <see cref="GeminiVertexOptions.AccessToken"/>, else a token of the metadata server (GCE/GKE Workload Identity).
/// The key and token never appear in logs or exception messages.
/// </summary>
public sealed class GeminiAuthentication(GeminiOptions options, ISecretStore? secrets = null, HttpClient? metadataClient = null, TimeProvider? time = null)
    : IGeminiAuthentication
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly TimeProvider _time = time ?? TimeProvider.System;
    private string? _secretKey;
    private string? _token;
    private DateTimeOffset _tokenExpires;

    public async ValueTask AuthenticateAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (options.UsesVertex)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", await TokenAsync(cancellationToken).ConfigureAwait(false));
            return;
        }

        request.Headers.Add("x-goog-api-key", await KeyAsync(cancellationToken).ConfigureAwait(false));
    }

    private async ValueTask<string> KeyAsync(CancellationToken cancellationToken)
    {
        if (!string.IsNullOrWhiteSpace(options.ApiKey))
        {
            return options.ApiKey.Trim();
        }

        if (_secretKey is { } cached)
        {
            return cached;
        }

        if (secrets is not null)
        {
            var key = await secrets.GetSecretAsync(options.ApiKeySecretName, cancellationToken).ConfigureAwait(false);
            if (!string.IsNullOrWhiteSpace(key))
            {
                return _secretKey = key.Trim();
            }

            throw new LlmException($"No Gemini API key: GEMINI_API_KEY is not set and the secret store has no '{options.ApiKeySecretName}'.");
        }

        throw new LlmException("No Gemini API key: set GEMINI_API_KEY or Maximus:Llm:Gemini:ApiKey, or put 'gemini-api-key' in the secret store.");
    }

    private async ValueTask<string> TokenAsync(CancellationToken cancellationToken)
    {
        if (!string.IsNullOrWhiteSpace(options.Vertex.AccessToken))
        {
            return options.Vertex.AccessToken.Trim();
        }

        if (!options.Vertex.UseMetadataServer || metadataClient is null)
        {
            throw new LlmException("No Vertex AI access token: set Maximus:Llm:Gemini:Vertex:AccessToken, or Maximus:Llm:Gemini:Vertex:UseMetadataServer=true on GCE/GKE.");
        }

        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_token is not null && _time.GetUtcNow() < _tokenExpires)
            {
                return _token;
            }

            using var request = new HttpRequestMessage(HttpMethod.Get, "http://metadata.google.internal/computeMetadata/v1/instance/service-accounts/default/token");
            request.Headers.Add("Metadata-Flavor", "Google");
            using var response = await metadataClient.SendAsync(request, cancellationToken).ConfigureAwait(false);
            response.EnsureSuccessStatusCode();
            using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false));
            _token = doc.RootElement.GetProperty("access_token").GetString() ?? throw new LlmException("The metadata server returned no access token.");
            var seconds = doc.RootElement.TryGetProperty("expires_in", out var e) && e.TryGetInt32(out var s) ? s : 300;
            _tokenExpires = _time.GetUtcNow().AddSeconds(Math.Max(0, seconds - 60));
            return _token;
        }
        finally
        {
            _gate.Release();
        }
    }
}
