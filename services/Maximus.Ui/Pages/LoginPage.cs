using Microsoft.AspNetCore.Http;
using static Maximus.Ui.Html;

namespace Maximus.Ui.Pages;

/// <summary>The login form: the API token, kept by the browser in an HttpOnly, SameSite=Strict cookie.</summary>
internal static class LoginPage
{
    public static IResult Render(HttpContext context, string? returnUrl, string? error = null, int status = 200)
    {
        var body = $"""
            <h1>Sign in</h1>
            <p>This host requires its API token (<code>APP_API_TOKEN</code>). The browser keeps it in an HttpOnly cookie for these pages only.</p>
            {(error is null ? "" : $"<p class=\"error\" role=\"alert\">{E(error)}</p>")}
            <form method="post" action="/ui/login" class="start">
            {Layout.Token(context)}
            <input type="hidden" name="returnUrl" value="{E(returnUrl)}">
            <label for="l-token">API token</label>
            <input id="l-token" name="token" type="password" autocomplete="current-password" required>
            <button type="submit">Sign in</button>
            </form>
            """;
        return Layout.Page(context, "Sign in", "", body, status: status);
    }
}
