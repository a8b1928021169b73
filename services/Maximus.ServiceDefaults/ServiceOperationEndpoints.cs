using System.Text.Json;
using System.Threading.RateLimiting;
using Maximus.Contracts.Ports;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Maximus.ServiceDefaults;

/// <summary>Serves <see cref="ServiceOperation"/>s as minimal API endpoints.</summary>
public static class ServiceOperationEndpoints
{
    /// <summary>Maps the operations under <paramref name="prefix"/> (empty: at the root).</summary>
    public static RouteGroupBuilder MapServiceOperations(this IEndpointRouteBuilder app, IEnumerable<ServiceOperation> operations, string prefix = "")
    {
        var group = app.MapGroup(prefix);
        foreach (var operation in operations)
        {
            group.MapMethods("/" + operation.Route, [operation.Verb], (HttpContext http) => ExecuteAsync(http, operation))
                .WithDisplayName($"{operation.AppId} {operation.Verb} {operation.Route}");
        }

        return group;
    }

    private static async Task ExecuteAsync(HttpContext http, ServiceOperation operation)
    {
        RateLimitLease? lease = null;
        if (operation.Admission is { } group && http.RequestServices.GetService<AdmissionLimits>() is { } limits
            && !limits.TryEnter(group, out lease))
        {
            // Written here, not thrown: the exception handler clears the headers, and Retry-After is the point.
            http.Response.StatusCode = StatusCodes.Status429TooManyRequests;
            http.Response.Headers.RetryAfter = limits.RetryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
            await Results.Problem(
                title: "Busy",
                detail: $"{limits.Permits} requests of this kind ({group}) are running; retry after {limits.RetryAfterSeconds} s.",
                statusCode: StatusCodes.Status429TooManyRequests,
                extensions: new Dictionary<string, object?> { ["traceId"] = http.TraceIdentifier }).ExecuteAsync(http).ConfigureAwait(false);
            return;
        }

        using (lease)
        {
            await ExecuteAdmittedAsync(http, operation).ConfigureAwait(false);
        }
    }

    private static async Task ExecuteAdmittedAsync(HttpContext http, ServiceOperation operation)
    {
        object? body = null;
        if (operation.RequestType is not null)
        {
            body = await ReadBodyAsync(http, operation.RequestType).ConfigureAwait(false);
        }

        var routeValues = http.Request.RouteValues
            .Where(kv => kv.Value is not null)
            .ToDictionary(kv => kv.Key, kv => Convert.ToString(kv.Value, System.Globalization.CultureInfo.InvariantCulture)!, StringComparer.OrdinalIgnoreCase);
        var query = http.Request.Query.ToDictionary(kv => kv.Key, kv => kv.Value.ToString(), StringComparer.OrdinalIgnoreCase);
        var result = await operation.Handler(new OperationCall(http.RequestServices, routeValues, query, body, http.RequestAborted))
            .ConfigureAwait(false);
        http.Response.StatusCode = operation.SuccessStatus;
        await http.Response.WriteAsJsonAsync(result, operation.ResponseType, MaximusJson.Options, http.RequestAborted).ConfigureAwait(false);
    }

    private static async Task<object> ReadBodyAsync(HttpContext http, Type type)
    {
        if (http.Request.ContentType is { Length: > 0 } && !http.Request.HasJsonContentType())
        {
            throw new ProblemException(415, "Unsupported media type", "The body must be application/json.", "body");
        }

        try
        {
            return await JsonSerializer.DeserializeAsync(http.Request.Body, type, MaximusJson.Options, http.RequestAborted).ConfigureAwait(false)
                ?? throw ProblemException.Invalid("body", "is required.");
        }
        catch (JsonException ex)
        {
            var field = string.IsNullOrEmpty(ex.Path) || ex.Path == "$" ? "body" : ex.Path.TrimStart('$', '.');
            throw new ProblemException(400, "Malformed request body", ex.Message, field);
        }
    }
}
