namespace Maximus.Contracts.Ports;

/// <summary>Calls a method of another app (Dapr service invocation or in-process dispatch).</summary>
public interface IServiceInvoker
{
    /// <summary>Invokes <paramref name="method"/> (a path such as <c>v1/plans</c>, optionally with a query) on <paramref name="appId"/>.</summary>
    /// <exception cref="InvocationException">The app answered with an error or could not be reached.</exception>
    Task<TResponse> InvokeAsync<TRequest, TResponse>(
        string appId, string method, TRequest request, CancellationToken cancellationToken = default);

    /// <summary>Invokes a GET method.</summary>
    Task<TResponse> GetAsync<TResponse>(string appId, string method, CancellationToken cancellationToken = default);

    /// <summary>Invokes a DELETE method (added after v1 of this port: invokers written before it refuse DELETE).</summary>
    Task<TResponse> DeleteAsync<TResponse>(string appId, string method, CancellationToken cancellationToken = default) =>
        throw new NotSupportedException($"{GetType().Name} does not invoke DELETE methods.");
}

/// <summary>An invocation failed. <see cref="Status"/> is the HTTP status (503 when the app was unreachable).</summary>
public sealed class InvocationException(string appId, string method, int status, string title, string? detail = null, Exception? inner = null)
    : Exception($"{appId}/{method}: {status} {title}{(detail is null ? "" : ": " + detail)}", inner)
{
    public string AppId { get; } = appId;

    public string Method { get; } = method;

    public int Status { get; } = status;

    public string Title { get; } = title;

    public string? Detail { get; } = detail;
}
