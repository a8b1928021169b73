using System.Net.Http.Json;
using System.Text.Json;
using Dapr.Client;
using Maximus.Contracts.Ports;
using InvocationException = Maximus.Contracts.Ports.InvocationException;
using Maximus.ServiceDefaults;

namespace Maximus.Runtime.Dapr;

/// <summary>
/// Service invocation through the Dapr sidecar with an <see cref="HttpClient"/> whose Dapr
/// <see cref="InvocationHandler"/> rewrites <c>http://{appId}/{method}</c> to the sidecar (Dapr's recommended way).
/// Error answers (problem+json) become <see cref="InvocationException"/>, and so does a success answer that is not the
/// expected JSON (status 502, the <see cref="JsonException"/> inside).
/// </summary>
public sealed class DaprServiceInvoker(HttpClient http) : IServiceInvoker
{
    public const string HttpClientName = "dapr-invoke";

    public Task<TResponse> InvokeAsync<TRequest, TResponse>(string appId, string method, TRequest request, CancellationToken cancellationToken = default)
    {
        var message = new HttpRequestMessage(HttpMethod.Post, Address(appId, method))
        {
            Content = JsonContent.Create(request, options: MaximusJson.Options),
        };
        return SendAsync<TResponse>(appId, method, message, cancellationToken);
    }

    public Task<TResponse> GetAsync<TResponse>(string appId, string method, CancellationToken cancellationToken = default) =>
        SendAsync<TResponse>(appId, method, new HttpRequestMessage(HttpMethod.Get, Address(appId, method)), cancellationToken);

    public Task<TResponse> DeleteAsync<TResponse>(string appId, string method, CancellationToken cancellationToken = default) =>
        SendAsync<TResponse>(appId, method, new HttpRequestMessage(HttpMethod.Delete, Address(appId, method)), cancellationToken);

    private static Uri Address(string appId, string method) => new($"http://{appId}/{method.TrimStart('/')}");

    private async Task<TResponse> SendAsync<TResponse>(string appId, string method, HttpRequestMessage message, CancellationToken cancellationToken)
    {
        using (message)
        {
            HttpResponseMessage response;
            try
            {
                response = await http.SendAsync(message, cancellationToken).ConfigureAwait(false);
            }
            catch (HttpRequestException ex)
            {
                throw new InvocationException(appId, method, 503, "Unreachable", "The Dapr sidecar could not be reached.", ex);
            }

            using (response)
            {
                if (!response.IsSuccessStatusCode)
                {
                    var (title, detail) = await ReadProblemAsync(response, cancellationToken).ConfigureAwait(false);
                    throw new InvocationException(appId, method, (int)response.StatusCode, title, detail);
                }

                try
                {
                    return (await response.Content.ReadFromJsonAsync<TResponse>(MaximusJson.Options, cancellationToken).ConfigureAwait(false))!;
                }
                catch (JsonException ex)
                {
                    throw new InvocationException(appId, method, 502, "Bad answer", $"The answer is not the JSON of a {typeof(TResponse).Name}: {ex.Message}", ex);
                }
            }
        }
    }

    private static async Task<(string Title, string? Detail)> ReadProblemAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        var text = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            using var doc = JsonDocument.Parse(text);
            var title = doc.RootElement.TryGetProperty("title", out var t) ? t.GetString() : null;
            var detail = doc.RootElement.TryGetProperty("detail", out var d) ? d.GetString()
                : doc.RootElement.TryGetProperty("message", out var m) ? m.GetString() : null;
            return (title ?? response.ReasonPhrase ?? "Error", detail);
        }
        catch (JsonException)
        {
            return (response.ReasonPhrase ?? "Error", text.Length > 500 ? text[..500] : text);
        }
    }
}
