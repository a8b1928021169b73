using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Configuration;

namespace Maximus.ServiceDefaults;

/// <summary>
/// When <c>APP_API_TOKEN</c> is set, every request except health probes must carry it in the
/// <c>dapr-api-token</c> header (Dapr sends it on every call to the app). Under <see cref="ApiToken.UiPath"/> (mission
/// control, a browser's pages) the token may come instead in the <see cref="ApiToken.UiCookie"/> cookie that the UI's login
/// form sets; a page asked for without it goes to the login form.
/// </summary>
internal sealed class ApiTokenMiddleware(RequestDelegate next, IConfiguration configuration)
{
    public const string Header = ApiToken.Header;

    private readonly byte[]? _token = ApiToken.Configured(configuration) is { } t ? Encoding.UTF8.GetBytes(t) : null;

    public async Task InvokeAsync(HttpContext context, IProblemDetailsService problems)
    {
        var path = context.Request.Path;
        if (_token is null || Extensions.IsHealthPath(path) || ApiToken.IsOpenUiPath(path))
        {
            await next(context).ConfigureAwait(false);
            return;
        }

        var given = context.Request.Headers[Header].ToString();
        var ui = path.StartsWithSegments(ApiToken.UiPath);
        if (given.Length == 0 && ui)
        {
            given = context.Request.Cookies[ApiToken.UiCookie] ?? "";
        }

        if (!CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(given), _token))
        {
            if (ui && HttpMethods.IsGet(context.Request.Method))
            {
                context.Response.Redirect($"{ApiToken.UiLoginPath}?returnUrl={Uri.EscapeDataString(path + context.Request.QueryString)}");
                return;
            }

            context.Response.StatusCode = StatusCodes.Status401Unauthorized;
            await problems.WriteAsync(new ProblemDetailsContext
            {
                HttpContext = context,
                ProblemDetails = new ProblemDetails
                {
                    Status = 401,
                    Title = "Unauthorized",
                    Detail = ui ? "Sign in at /ui/login with the API token." : $"The '{Header}' header is missing or wrong.",
                },
            }).ConfigureAwait(false);
            return;
        }

        await next(context).ConfigureAwait(false);
    }
}

/// <summary>The API token (<c>APP_API_TOKEN</c>) as the API and mission control's login share it.</summary>
public static class ApiToken
{
    public const string Header = "dapr-api-token";

    /// <summary>The browser pages (mission control): they accept the token from <see cref="UiCookie"/> as well as the header.</summary>
    public const string UiPath = "/ui";

    /// <summary>The HttpOnly, SameSite=Strict cookie that mission control's login form stores the token in.</summary>
    public const string UiCookie = "maximus-api-token";

    public const string UiLoginPath = "/ui/login";

    /// <summary>What the login page needs without a token: itself and its style sheet.</summary>
    public const string UiAssetsPath = "/ui/assets";

    /// <summary>The configured token; null when none is (then the API and the UI are open).</summary>
    public static string? Configured(IConfiguration configuration) =>
        configuration["APP_API_TOKEN"] is { Length: > 0 } t ? t : null;

    /// <summary>Whether <paramref name="given"/> is the configured token (constant time); false when none is configured.</summary>
    public static bool Matches(IConfiguration configuration, string? given) =>
        Configured(configuration) is { } token
        && CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(given ?? ""), Encoding.UTF8.GetBytes(token));

    internal static bool IsOpenUiPath(PathString path) =>
        path.StartsWithSegments(UiLoginPath) || path.StartsWithSegments(UiAssetsPath);
}
