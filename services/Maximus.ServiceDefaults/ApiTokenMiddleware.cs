using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Configuration;

namespace Maximus.ServiceDefaults;

/// <summary>
/// When <c>APP_API_TOKEN</c> is set, every request except health probes must carry it in the
/// <c>dapr-api-token</c> header (Dapr sends it on every call to the app).
/// </summary>
internal sealed class ApiTokenMiddleware(RequestDelegate next, IConfiguration configuration)
{
    public const string Header = "dapr-api-token";

    private readonly byte[]? _token = configuration["APP_API_TOKEN"] is { Length: > 0 } t ? Encoding.UTF8.GetBytes(t) : null;

    public async Task InvokeAsync(HttpContext context, IProblemDetailsService problems)
    {
        if (_token is null || Extensions.IsHealthPath(context.Request.Path))
        {
            await next(context).ConfigureAwait(false);
            return;
        }

        var given = context.Request.Headers[Header].ToString();
        if (!CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(given), _token))
        {
            context.Response.StatusCode = StatusCodes.Status401Unauthorized;
            await problems.WriteAsync(new ProblemDetailsContext
            {
                HttpContext = context,
                ProblemDetails = new ProblemDetails
                {
                    Status = 401,
                    Title = "Unauthorized",
                    Detail = $"The '{Header}' header is missing or wrong.",
                },
            }).ConfigureAwait(false);
            return;
        }

        await next(context).ConfigureAwait(false);
    }
}
