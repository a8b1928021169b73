using System.Net;
using System.Text.RegularExpressions;
using Maximus.ServiceDefaults;

namespace Maximus.Ui.Tests;

/// <summary>
/// Mission control behind the API token: pages go to the login form without it, the form stores it in an HttpOnly,
/// SameSite=Strict cookie that only /ui/ accepts, every state-changing form needs its antiforgery token, and no page
/// carries the token. Without a configured token the API is open, and so are the pages.
/// </summary>
public sealed partial class MissionControlSecurityTests
{
    private const string Token = "s3cret-token-for-tests";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Without_a_configured_token_the_pages_are_open_like_the_api()
    {
        await using var host = await UiHost.StartAsync();

        using var page = await host.Http.GetAsync("/ui/", Ct);
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Contains("<h1>Missions</h1>", await page.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
        Assert.Contains("default-src 'self'", page.Headers.GetValues("Content-Security-Policy").Single(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task With_a_token_a_page_goes_to_the_login_form_and_the_cookie_it_sets_opens_only_the_pages()
    {
        await using var host = await UiHost.StartAsync(new Dictionary<string, string?> { ["APP_API_TOKEN"] = Token });
        using var handler = new HttpClientHandler { AllowAutoRedirect = false, CookieContainer = new CookieContainer() };
        using var browser = new HttpClient(handler) { BaseAddress = new Uri(host.Address) };

        using var anonymous = await browser.GetAsync("/ui/missions/x", Ct);
        Assert.Equal(HttpStatusCode.Redirect, anonymous.StatusCode);
        Assert.Equal("/ui/login?returnUrl=%2Fui%2Fmissions%2Fx", anonymous.Headers.Location!.OriginalString);

        using var form = await browser.GetAsync("/ui/login", Ct);
        var html = await form.Content.ReadAsStringAsync(Ct);
        Assert.DoesNotContain(Token, html, StringComparison.Ordinal);

        // A login without the form's antiforgery token is refused; with it and a wrong token too.
        using var forged = await browser.PostAsync("/ui/login", new FormUrlEncodedContent(new Dictionary<string, string> { ["token"] = Token }), Ct);
        Assert.Equal(HttpStatusCode.BadRequest, forged.StatusCode);
        using var wrong = await browser.PostAsync("/ui/login", Form(html, ("token", "nope"), ("returnUrl", "/ui/")), Ct);
        Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);

        using var login = await browser.PostAsync("/ui/login", Form(html, ("token", Token), ("returnUrl", "/ui/memory")), Ct);
        Assert.Equal(HttpStatusCode.Redirect, login.StatusCode);
        Assert.Equal("/ui/memory", login.Headers.Location!.OriginalString);
        var cookie = login.Headers.GetValues("Set-Cookie").Single(c => c.StartsWith(ApiToken.UiCookie + "=", StringComparison.Ordinal));
        Assert.Contains("httponly", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("samesite=strict", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("path=/ui", cookie, StringComparison.OrdinalIgnoreCase);

        using var memory = await browser.GetAsync("/ui/memory", Ct);
        Assert.Equal(HttpStatusCode.OK, memory.StatusCode);
        Assert.DoesNotContain(Token, await memory.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);

        // The cookie is no API credential: the API still wants the header.
        using var api = new HttpRequestMessage(HttpMethod.Get, "/v1/missions");
        api.Headers.Add("Cookie", $"{ApiToken.UiCookie}={Token}");
        using var refused = await browser.SendAsync(api, Ct);
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
    }

    [Fact]
    public async Task A_form_post_without_its_antiforgery_token_changes_nothing()
    {
        await using var host = await UiHost.StartAsync();
        using var written = await host.Http.PostAsync("/v1/memory/default/entries",
            new StringContent("""{"type":"episodic","text":"keep me"}""", System.Text.Encoding.UTF8, "application/json"), Ct);
        var id = System.Text.Json.JsonDocument.Parse(await written.Content.ReadAsStringAsync(Ct)).RootElement.GetProperty("id").GetString()!;

        using var forged = await host.Http.PostAsync($"/ui/memory/default/entries/{id}/forget",
            new FormUrlEncodedContent(new Dictionary<string, string> { ["type"] = "episodic" }), Ct);

        Assert.Equal(HttpStatusCode.BadRequest, forged.StatusCode);
        using var still = await host.Http.GetAsync($"/v1/memory/default/entries/{id}", Ct);
        Assert.Equal(HttpStatusCode.OK, still.StatusCode);
    }

    [Fact]
    public void Goal_literals_are_read_as_typed()
    {
        var goal = MissionControlExtensions.ParseGoal("(on a b)  (not (clear c)) (handempty)");

        Assert.Equal(["(on a b)", "(not (clear c))", "(handempty)"], goal!.Select(l => l.ToString()));
        Assert.Null(MissionControlExtensions.ParseGoal("  "));
    }

    private static FormUrlEncodedContent Form(string html, params (string Name, string Value)[] fields)
    {
        var token = AntiforgeryField().Match(html);
        Assert.True(token.Success, "the form carries no antiforgery token");
        return new FormUrlEncodedContent(fields.Select(f => KeyValuePair.Create(f.Name, f.Value))
            .Append(KeyValuePair.Create(token.Groups["name"].Value, WebUtility.HtmlDecode(token.Groups["value"].Value))));
    }

    [GeneratedRegex("""<input type="hidden" name="(?<name>[^"]+)" value="(?<value>[^"]+)">""")]
    private static partial Regex AntiforgeryField();
}
