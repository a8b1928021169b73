using Maximus.ServiceDefaults;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using static Maximus.Ui.Html;

namespace Maximus.Ui.Pages;

/// <summary>The frame of every page: navigation, the main landmark, the form token, the security headers.</summary>
internal static class Layout
{
    public const string Missions = "missions";
    public const string Start = "start";
    public const string Memory = "memory";

    /// <summary>The hidden antiforgery field every state-changing form carries.</summary>
    public static string Token(HttpContext context)
    {
        var tokens = context.RequestServices.GetRequiredService<IAntiforgery>().GetAndStoreTokens(context);
        return $"<input type=\"hidden\" name=\"{E(tokens.FormFieldName)}\" value=\"{E(tokens.RequestToken)}\">";
    }

    /// <param name="stream">The live stream the page follows (<c>/ui/events?…</c>); null for a page that no longer changes.</param>
    /// <param name="stamp">What the stream says when the page is as rendered: another stamp means the page changed.</param>
    public static IResult Page(HttpContext context, string title, string active, string body, string? stream = null, int status = 200, string? stamp = null)
    {
        var signedIn = ApiToken.Configured(context.RequestServices.GetRequiredService<IConfiguration>()) is not null;
        var logout = signedIn
            ? $"<form method=\"post\" action=\"/ui/logout\" class=\"logout\">{Token(context)}<button type=\"submit\">Sign out</button></form>"
            : "";
        string Link(string key, string href, string text) =>
            $"<li><a href=\"{href}\"{(key == active ? " aria-current=\"page\"" : "")}>{text}</a></li>";
        var html = $"""
            <!DOCTYPE html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>{E(title)} · Maximus mission control</title>
            <link rel="stylesheet" href="/ui/assets/mission-control.css">
            <script src="/ui/assets/mission-control.js" defer></script>
            </head>
            <body>
            <a class="skip" href="#main">Skip to content</a>
            <header class="top">
            <nav aria-label="Mission control">
            <a class="brand" href="/ui/">Maximus mission control</a>
            <ul>{Link(Missions, "/ui/", "Missions")}{Link(Start, "/ui/start", "Start a mission")}{Link(Memory, "/ui/memory", "Memory")}</ul>
            </nav>
            {logout}
            </header>
            <main id="main" tabindex="-1"{(stream is null ? "" : $" data-stream=\"{E(stream)}\" data-stamp=\"{E(stamp)}\"")}>
            {body}
            </main>
            </body>
            </html>
            """;
        Secure(context);
        return Results.Content(html, "text/html; charset=utf-8", statusCode: status);
    }

    /// <summary>A page that says what went wrong, in the service's words.</summary>
    public static IResult Problem(HttpContext context, string title, string detail, int status) =>
        Page(context, title, "", $"<h1>{E(title)}</h1><p class=\"error\" role=\"alert\">{E(detail)}</p><p><a href=\"/ui/\">Back to the missions</a></p>", status: status);

    public static void Secure(HttpContext context)
    {
        var headers = context.Response.Headers;
        headers.ContentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";
        headers.XContentTypeOptions = "nosniff";
        headers["Referrer-Policy"] = "no-referrer";
        headers.CacheControl = "no-store";
    }
}
