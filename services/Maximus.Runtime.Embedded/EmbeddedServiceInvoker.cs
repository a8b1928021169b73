using System.Collections.Frozen;
using System.Text.Json;
using Maximus.Contracts.Ports;
using Maximus.ServiceDefaults;
using Microsoft.Extensions.DependencyInjection;

namespace Maximus.Runtime.Embedded;

/// <summary>
/// Service invocation in process: finds the app's <see cref="ServiceOperation"/> and calls its handler.
/// Requests and responses go through JSON as they would over Dapr, so both runtimes see the same values.
/// </summary>
public sealed class EmbeddedServiceInvoker(IEnumerable<ServiceOperation> operations, IServiceScopeFactory scopes) : IServiceInvoker
{
    private readonly FrozenDictionary<string, ServiceOperation[]> _byApp = operations
        .GroupBy(o => o.AppId, StringComparer.Ordinal)
        .ToFrozenDictionary(g => g.Key, g => g.ToArray(), StringComparer.Ordinal);

    public IReadOnlyCollection<string> AppIds => _byApp.Keys;

    public Task<TResponse> InvokeAsync<TRequest, TResponse>(string appId, string method, TRequest request, CancellationToken cancellationToken = default) =>
        DispatchAsync<TResponse>(appId, "POST", method, JsonSerializer.SerializeToUtf8Bytes(request, MaximusJson.Options), cancellationToken);

    public Task<TResponse> GetAsync<TResponse>(string appId, string method, CancellationToken cancellationToken = default) =>
        DispatchAsync<TResponse>(appId, "GET", method, null, cancellationToken);

    public Task<TResponse> DeleteAsync<TResponse>(string appId, string method, CancellationToken cancellationToken = default) =>
        DispatchAsync<TResponse>(appId, "DELETE", method, null, cancellationToken);

    private async Task<TResponse> DispatchAsync<TResponse>(string appId, string verb, string method, byte[]? body, CancellationToken cancellationToken)
    {
        if (!_byApp.TryGetValue(appId, out var candidates))
        {
            throw new InvocationException(appId, method, 503, "App not found", $"No app '{appId}' runs in this process.");
        }

        var (path, query) = OperationCall.SplitMethod(method);
        ServiceOperation? operation = null;
        Dictionary<string, string>? routeValues = null;
        foreach (var candidate in candidates)
        {
            if (string.Equals(candidate.Verb, verb, StringComparison.OrdinalIgnoreCase) && candidate.TryMatch(path, out var values))
            {
                operation = candidate;
                routeValues = values;
                break;
            }
        }

        if (operation is null)
        {
            throw new InvocationException(appId, method, 404, "Not found", $"{appId} serves no {verb} {path}.");
        }

        try
        {
            object? requestBody = null;
            if (operation.RequestType is not null)
            {
                try
                {
                    requestBody = body is null ? null : JsonSerializer.Deserialize(body, operation.RequestType, MaximusJson.Options);
                }
                catch (JsonException ex)
                {
                    throw new ProblemException(400, "Malformed request body", ex.Message, string.IsNullOrEmpty(ex.Path) ? "body" : ex.Path.TrimStart('$', '.'));
                }

                if (requestBody is null)
                {
                    throw ProblemException.Invalid("body", "is required.");
                }
            }

            await using var scope = scopes.CreateAsyncScope();
            var result = await operation.Handler(new OperationCall(scope.ServiceProvider, routeValues!, query, requestBody, cancellationToken))
                .ConfigureAwait(false);
            var json = JsonSerializer.SerializeToUtf8Bytes(result, operation.ResponseType, MaximusJson.Options);
            try
            {
                return JsonSerializer.Deserialize<TResponse>(json, MaximusJson.Options)!;
            }
            catch (JsonException ex)
            {
                // As over Dapr: an answer that is not the expected JSON is a bad gateway, the JsonException inside.
                throw new InvocationException(appId, method, 502, "Bad answer", $"The answer is not the JSON of a {typeof(TResponse).Name}: {ex.Message}", ex);
            }
        }
        catch (ProblemException p)
        {
            throw new InvocationException(appId, method, p.Status, p.Title, p.Detail, p);
        }
    }
}
