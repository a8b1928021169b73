namespace Maximus.Contracts.Ports;

/// <summary>
/// A method an app serves by service invocation, declared once. The HTTP adapter maps it as a
/// minimal API endpoint; the embedded invoker dispatches to the same handler in process.
/// </summary>
/// <param name="AppId">The app that serves it.</param>
/// <param name="Verb">GET, POST, PUT or DELETE.</param>
/// <param name="Route">
/// A route template without leading slash, e.g. <c>v1/missions/{id}</c>; a last segment <c>{**name}</c> takes the rest of
/// the path, '/' included (for ids that hold '/', e.g. a step's log id <c>{mission}/r0/s2</c>).
/// </param>
/// <param name="RequestType">The JSON body's type, or null for no body.</param>
/// <param name="Handler">Returns the response object (serialised as JSON).</param>
/// <param name="SuccessStatus">The HTTP status of a successful answer.</param>
public sealed record ServiceOperation(
    string AppId,
    string Verb,
    string Route,
    Type? RequestType,
    Type ResponseType,
    Func<OperationCall, Task<object?>> Handler,
    int SuccessStatus = 200)
{
    /// <summary>
    /// Operations with the same admission name share a bound on how many of them run at once when called over HTTP
    /// (e.g. those that embed a query, which queue for the CPU): a request beyond it is answered 429 with Retry-After at
    /// once instead of waiting behind the others, so the answered ones keep their latency and a client knows to come back.
    /// Null: no bound. Calls in process (the embedded invoker) are never shed.
    /// </summary>
    public string? Admission { get; init; }

    /// <summary>The admission name of the operations that embed a query text (memory search and recall).</summary>
    public const string QueryEmbedding = "query-embedding";

    public static ServiceOperation Get<TResponse>(
        string appId, string route, Func<OperationCall, Task<TResponse>> handler) =>
        new(appId, "GET", route, null, typeof(TResponse), async call => await handler(call).ConfigureAwait(false));

    public static ServiceOperation Post<TRequest, TResponse>(
        string appId, string route, Func<TRequest, OperationCall, Task<TResponse>> handler, int successStatus = 200) =>
        new(appId, "POST", route, typeof(TRequest), typeof(TResponse),
            async call => await handler((TRequest)call.Body!, call).ConfigureAwait(false), successStatus);

    /// <summary>Matches a path (no query) against <see cref="Route"/>; fills route values on success.</summary>
    public bool TryMatch(string path, out Dictionary<string, string> routeValues)
    {
        routeValues = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        var template = Route.Split('/', StringSplitOptions.RemoveEmptyEntries);
        var segments = path.Split('/', StringSplitOptions.RemoveEmptyEntries);
        var catchAll = template.Length > 0 && template[^1].StartsWith("{**", StringComparison.Ordinal) && template[^1].EndsWith('}');
        if (catchAll ? segments.Length < template.Length : template.Length != segments.Length)
        {
            return false;
        }

        for (var i = 0; i < template.Length; i++)
        {
            var t = template[i];
            if (catchAll && i == template.Length - 1)
            {
                routeValues[t[3..^1]] = string.Join('/', segments[i..].Select(Uri.UnescapeDataString));
            }
            else if (t.Length > 2 && t[0] == '{' && t[^1] == '}')
            {
                routeValues[t[1..^1]] = Uri.UnescapeDataString(segments[i]);
            }
            else if (!string.Equals(t, segments[i], StringComparison.OrdinalIgnoreCase))
            {
                return false;
            }
        }

        return true;
    }
}

/// <summary>One call of a <see cref="ServiceOperation"/>.</summary>
public sealed class OperationCall(
    IServiceProvider services,
    IReadOnlyDictionary<string, string> routeValues,
    IReadOnlyDictionary<string, string> query,
    object? body,
    CancellationToken cancellationToken)
{
    public IServiceProvider Services { get; } = services;

    public IReadOnlyDictionary<string, string> RouteValues { get; } = routeValues;

    public IReadOnlyDictionary<string, string> Query { get; } = query;

    public object? Body { get; } = body;

    public CancellationToken CancellationToken { get; } = cancellationToken;

    public string Route(string name) =>
        RouteValues.TryGetValue(name, out var value) ? value : throw new ProblemException(400, "Missing route value", $"'{name}' is required.", name);

    public string? QueryValue(string name) => Query.TryGetValue(name, out var value) ? value : null;

    public int QueryInt(string name, int defaultValue, int min, int max)
    {
        var raw = QueryValue(name);
        if (raw is null)
        {
            return defaultValue;
        }

        if (!int.TryParse(raw, System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out var value) || value < min || value > max)
        {
            throw ProblemException.Invalid(name, $"must be an integer from {min} to {max}.");
        }

        return value;
    }

    public T GetService<T>()
        where T : notnull =>
        (T)(Services.GetService(typeof(T)) ?? throw new InvalidOperationException($"Service {typeof(T)} is not registered."));

    /// <summary>Splits <c>path?query</c> into its path and decoded query values.</summary>
    public static (string Path, Dictionary<string, string> Query) SplitMethod(string method)
    {
        var query = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        var q = method.IndexOf('?', StringComparison.Ordinal);
        if (q < 0)
        {
            return (method.TrimStart('/'), query);
        }

        foreach (var pair in method[(q + 1)..].Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var eq = pair.IndexOf('=', StringComparison.Ordinal);
            var key = Uri.UnescapeDataString(eq < 0 ? pair : pair[..eq]);
            var value = eq < 0 ? "" : Uri.UnescapeDataString(pair[(eq + 1)..].Replace('+', ' '));
            query[key] = value;
        }

        return (method[..q].TrimStart('/'), query);
    }
}

/// <summary>An error answer with an HTTP status, served as RFC 9457 problem+json. <see cref="Field"/> names the bad input.</summary>
public sealed class ProblemException(int status, string title, string? detail = null, string? field = null)
    : Exception(detail is null ? title : $"{title}: {detail}")
{
    public int Status { get; } = status;

    public string Title { get; } = title;

    public string? Detail { get; } = detail;

    public string? Field { get; } = field;

    /// <summary>Every bad field and what is wrong with it, when there are several (null: only <see cref="Field"/>).</summary>
    public IReadOnlyDictionary<string, string[]>? Errors { get; init; }

    public static ProblemException Invalid(string field, string message) =>
        new(400, "Invalid request", $"'{field}' {message}", field);

    public static ProblemException NotFound(string what) => new(404, "Not found", what);
}
