using System.Text.RegularExpressions;
using Maximus.Contracts;
using Maximus.Contracts.Memory;
using Maximus.Contracts.Missions;
using Maximus.Contracts.Plugins;
using Maximus.Contracts.Ports;
using Maximus.ServiceDefaults;
using Maximus.Ui.Pages;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Maximus.Ui;

/// <summary>
/// Mission control: server-rendered pages under <c>/ui/</c> on the orchestrator's host (missions, approvals, memory, a
/// start form), one small script that follows a server-sent event stream, every asset in this assembly.
/// </summary>
public static partial class MissionControlExtensions
{
    public const string AntiforgeryCookie = "maximus-ui-antiforgery";

    private const int MissionWindow = 200;

    /// <summary>Adds mission control; <paramref name="plugins"/> are the plugin app ids the start form offers.</summary>
    public static IServiceCollection AddMissionControl(this IServiceCollection services, IEnumerable<string> plugins)
    {
        var list = plugins.ToList();
        services.TryAddSingleton(TimeProvider.System);
        services.AddOptions<MissionControlOptions>().Configure(o =>
        {
            foreach (var plugin in list.Where(p => !o.Plugins.Contains(p)))
            {
                o.Plugins.Add(plugin);
            }
        });
        services.AddAntiforgery(o =>
        {
            o.Cookie.Name = AntiforgeryCookie;
            o.Cookie.Path = ApiToken.UiPath;
            o.Cookie.SameSite = SameSiteMode.Strict;
            o.Cookie.HttpOnly = true;
        });
        services.AddScoped<MissionControlClient>();
        return services;
    }

    /// <summary>Maps the pages under <c>/ui/</c>.</summary>
    public static IEndpointRouteBuilder MapMissionControl(this IEndpointRouteBuilder app)
    {
        var ui = app.MapGroup(ApiToken.UiPath).ExcludeFromDescription();
        ui.MapGet("/", (HttpContext context, MissionControlClient client, TimeProvider time, string? status, string? plugin, string? q) =>
            Guard(context, async () => MissionListPage.Render(context, await client.MissionsAsync(MissionWindow, context.RequestAborted).ConfigureAwait(false), status, plugin, q, time)));
        ui.MapGet("/missions/{id}", (HttpContext context, MissionControlClient client, TimeProvider time, string id) =>
            Guard(context, async () => MissionPage.Render(context, await client.MissionAsync(id, context.RequestAborted).ConfigureAwait(false), time)));
        ui.MapPost("/missions/{id}/approval", ApproveAsync);
        ui.MapGet("/start", (HttpContext context, IOptions<MissionControlOptions> options) => StartPage.Render(context, options.Value.Plugins));
        ui.MapPost("/start", StartAsync);
        ui.MapGet("/memory", MemoryAsync);
        ui.MapGet("/memory/{agentId}/entries/{id}", (HttpContext context, MissionControlClient client, string agentId, string id) => Guard(context, async () =>
        {
            var entry = await client.EntryAsync(agentId, id, context.RequestAborted).ConfigureAwait(false);
            var missions = await client.MissionsAsync(MissionWindow, context.RequestAborted).ConfigureAwait(false);
            return MemoryPages.Entry(context, agentId, entry, [.. missions.Where(m => m.Result?.Recalled?.Any(r => r.Id == id) == true)]);
        }));
        ui.MapPost("/memory/{agentId}/entries/{id}/forget", ForgetAsync);
        ui.MapGet("/events", EventsAsync);
        ui.MapGet("/login", (HttpContext context, IConfiguration configuration, string? returnUrl) =>
            ApiToken.Configured(configuration) is null ? Results.Redirect("/ui/") : LoginPage.Render(context, returnUrl));
        ui.MapPost("/login", LoginAsync);
        ui.MapPost("/logout", async (HttpContext context) =>
        {
            if (await Forged(context).ConfigureAwait(false) is { } refused)
            {
                return refused;
            }

            context.Response.Cookies.Delete(ApiToken.UiCookie, new CookieOptions { Path = ApiToken.UiPath });
            return Results.Redirect(ApiToken.UiLoginPath);
        });
        ui.MapGet("/assets/{name}", Asset);
        return app;
    }

    private static async Task<IResult> ApproveAsync(HttpContext context, MissionControlClient client, string id)
    {
        if (await Forged(context).ConfigureAwait(false) is { } refused)
        {
            return refused;
        }

        var form = await context.Request.ReadFormAsync(context.RequestAborted).ConfigureAwait(false);
        var approved = string.Equals(form["decision"], "approve", StringComparison.Ordinal);
        var comment = form["comment"].ToString() is { Length: > 0 } c ? c : null;
        return await Guard(context, async () =>
        {
            await client.ApproveAsync(id, new StepApproval(approved, "mission control", comment), context.RequestAborted).ConfigureAwait(false);
            return Results.Redirect($"/ui/missions/{Html.U(id)}");
        }).ConfigureAwait(false);
    }

    private static async Task<IResult> StartAsync(HttpContext context, MissionControlClient client, IOptions<MissionControlOptions> options)
    {
        if (await Forged(context).ConfigureAwait(false) is { } refused)
        {
            return refused;
        }

        var form = await context.Request.ReadFormAsync(context.RequestAborted).ConfigureAwait(false);
        var plugin = form["plugin"].ToString();
        var agent = form["agent"].ToString() is { Length: > 0 } a ? a : "default";
        var pluginContext = form["context"].ToString() is { Length: > 0 } pc ? pc : null;
        var goal = ParseGoal(form["goal"].ToString());
        if (!options.Value.Plugins.Contains(plugin))
        {
            return StartPage.Render(context, options.Value.Plugins, $"'{plugin}' is not a plugin of this host.", 400);
        }

        try
        {
            if (plugin == AppIds.PddlPlugin)
            {
                var domain = await TextOf(form, "domain").ConfigureAwait(false);
                var problem = await TextOf(form, "problem").ConfigureAwait(false);
                if (domain.Text.Length == 0 || problem.Text.Length == 0)
                {
                    return StartPage.Render(context, options.Value.Plugins, "The PDDL plugin needs a domain and a problem: paste them or upload the files.", 400);
                }

                var environment = await client.CreatePddlEnvironmentAsync(domain.Text, problem.Text, domain.File, problem.File, context.RequestAborted).ConfigureAwait(false);
                pluginContext = environment.EnvironmentId;
            }

            var request = new MissionRequest(
                plugin, pluginContext, agent, goal,
                MaxReplans: int.TryParse(form["maxReplans"], out var replans) ? replans : 3,
                Simulate: string.Equals(form["simulate"], "true", StringComparison.Ordinal),
                Planner: form["planner"].ToString() is { Length: > 0 } planner ? planner : "auto");
            var accepted = await client.StartAsync(request, context.RequestAborted).ConfigureAwait(false);
            return Results.Redirect($"/ui/missions/{Html.U(accepted.MissionId)}");
        }
        catch (InvocationException ex)
        {
            return StartPage.Render(context, options.Value.Plugins, ex.Detail ?? ex.Message, ex.Status is >= 400 and < 500 ? ex.Status : 502);
        }
    }

    private static async Task<IResult> MemoryAsync(HttpContext context, MissionControlClient client, string? agent, string? type, string? q, string? mode, string? forgotten)
    {
        var agentId = string.IsNullOrWhiteSpace(agent) ? "default" : agent;
        var kind = MemoryPages.Types.Contains(type) ? type! : "episodic";
        var by = mode == "meaning" ? "meaning" : "hybrid";
        return await Guard(context, async () =>
        {
            var ct = context.RequestAborted;
            var missions = await client.MissionsAsync(MissionWindow, ct).ConfigureAwait(false);
            var agents = missions.Select(m => m.Request?.AgentId).OfType<string>().Append("default").Distinct().Order(StringComparer.Ordinal);
            var body = new System.Text.StringBuilder($"<h1>Memory of {Html.E(agentId)}</h1>");
            body.Append(MemoryPages.Form(agentId, kind, q, by, agents));
            if (forgotten is { Length: > 0 })
            {
                body.Append($"<p role=\"status\" class=\"banner\">Forgot entry {Html.E(forgotten)}.</p>");
            }

            if (kind == "vault")
            {
                body.Append(MemoryPages.Vault(await client.VaultAsync(agentId, ct).ConfigureAwait(false), await client.VaultAuditAsync(agentId, ct).ConfigureAwait(false)));
            }
            else if (kind == "core")
            {
                body.Append(MemoryPages.Core(await client.CoreAsync(agentId, ct).ConfigureAwait(false)));
            }
            else if (!string.IsNullOrWhiteSpace(q) && by == "hybrid")
            {
                var recall = await client.RecallAsync(agentId, q, 20, ct).ConfigureAwait(false);
                var hits = new List<(MemoryEntry, string?)>();
                foreach (var hit in recall.Hits)
                {
                    try
                    {
                        hits.Add((await client.EntryAsync(agentId, hit.Id, ct).ConfigureAwait(false), Html.Number(hit.Score)));
                    }
                    catch (InvocationException ex) when (ex.Status == 404)
                    {
                        // Forgotten since it was indexed.
                    }
                }

                body.Append(MemoryPages.Entries(context, agentId, kind, hits, $"Hybrid search (words and meaning, every type) for “{q}”: {hits.Count} hit(s)"));
            }
            else if (!string.IsNullOrWhiteSpace(q))
            {
                var found = await client.SearchAsync(agentId, new SearchMemoryRequest(q, [Enum.Parse<MemoryType>(kind, ignoreCase: true)], 20), ct).ConfigureAwait(false);
                body.Append(MemoryPages.Entries(context, agentId, kind, [.. found.Hits.Select(h => (h.Entry, (string?)Html.Number(h.Score)))], $"{kind} entries by meaning for “{q}”: {found.Hits.Count} hit(s)"));
            }
            else
            {
                var page = await client.EntriesAsync(agentId, Enum.Parse<MemoryType>(kind, ignoreCase: true), 100, ct).ConfigureAwait(false);
                body.Append(MemoryPages.Entries(context, agentId, kind, [.. page.Items.Select(e => (e, (string?)null))], $"{kind} entries, newest first: {page.Items.Count} of {page.Total}"));
            }

            return Layout.Page(context, $"Memory of {agentId}", Layout.Memory, body.ToString());
        }).ConfigureAwait(false);
    }

    private static async Task<IResult> ForgetAsync(HttpContext context, MissionControlClient client, string agentId, string id)
    {
        if (await Forged(context).ConfigureAwait(false) is { } refused)
        {
            return refused;
        }

        var form = await context.Request.ReadFormAsync(context.RequestAborted).ConfigureAwait(false);
        var type = MemoryPages.Types.Contains(form["type"].ToString()) ? form["type"].ToString() : "episodic";
        return await Guard(context, async () =>
        {
            await client.ForgetAsync(agentId, id, context.RequestAborted).ConfigureAwait(false);
            return Results.Redirect($"/ui/memory?agent={Html.U(agentId)}&type={Html.U(type)}&forgotten={Html.U(id)}");
        }).ConfigureAwait(false);
    }

    /// <summary>
    /// Server-sent events: the stamp of the page (one mission, or the newest missions) every poll interval; the script swaps
    /// the page's content when it differs from the one the page was rendered with. The stream ends after a while and the
    /// browser reconnects by itself.
    /// </summary>
    private static async Task EventsAsync(HttpContext context, MissionControlClient client, IOptions<MissionControlOptions> options, TimeProvider time, string? mission)
    {
        Layout.Secure(context);
        context.Response.ContentType = "text/event-stream";
        context.Response.Headers.CacheControl = "no-cache";
        var ct = context.RequestAborted;
        var until = time.GetUtcNow() + options.Value.StreamLifetime;
        await context.Response.WriteAsync("retry: 2000\n\n", ct).ConfigureAwait(false);
        try
        {
            while (!ct.IsCancellationRequested && time.GetUtcNow() < until)
            {
                string stamp;
                try
                {
                    stamp = mission is { Length: > 0 }
                        ? MissionListPage.Stamp(await client.MissionAsync(mission, ct).ConfigureAwait(false))
                        : MissionListPage.Stamp(await client.MissionsAsync(MissionWindow, ct).ConfigureAwait(false));
                }
                catch (InvocationException)
                {
                    stamp = "unavailable";
                }

                await context.Response.WriteAsync($"data: {stamp}\n\n", ct).ConfigureAwait(false);
                await context.Response.Body.FlushAsync(ct).ConfigureAwait(false);
                await Task.Delay(options.Value.PollInterval, time, ct).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // The page went away.
        }
    }

    private static async Task<IResult> LoginAsync(HttpContext context, IConfiguration configuration)
    {
        if (await Forged(context).ConfigureAwait(false) is { } refused)
        {
            return refused;
        }

        var form = await context.Request.ReadFormAsync(context.RequestAborted).ConfigureAwait(false);
        var returnUrl = form["returnUrl"].ToString();
        if (!ApiToken.Matches(configuration, form["token"]))
        {
            return LoginPage.Render(context, returnUrl, ApiToken.Configured(configuration) is null ? "This host has no API token: its pages are open." : "That is not the API token.", 401);
        }

        context.Response.Cookies.Append(ApiToken.UiCookie, form["token"].ToString(), new CookieOptions
        {
            HttpOnly = true,
            SameSite = SameSiteMode.Strict,
            Secure = context.Request.IsHttps,
            Path = ApiToken.UiPath,
            IsEssential = true,
        });
        var local = returnUrl.StartsWith(ApiToken.UiPath, StringComparison.Ordinal) && !returnUrl.StartsWith("//", StringComparison.Ordinal) && !returnUrl.Contains('\\', StringComparison.Ordinal);
        return Results.Redirect(local ? returnUrl : "/ui/");
    }

    private static IResult Asset(HttpContext context, string name)
    {
        var type = Path.GetExtension(name) switch
        {
            ".css" => "text/css; charset=utf-8",
            ".js" => "text/javascript; charset=utf-8",
            _ => null,
        };
        var stream = type is null ? null : typeof(MissionControlExtensions).Assembly.GetManifestResourceStream($"MissionControl.{name}");
        if (stream is null)
        {
            return Results.NotFound();
        }

        context.Response.Headers.XContentTypeOptions = "nosniff";
        context.Response.Headers.CacheControl = "public, max-age=3600";
        return Results.Stream(stream, type);
    }

    /// <summary>Null when the form carries a valid antiforgery token; otherwise the page that refuses it.</summary>
    private static async Task<IResult?> Forged(HttpContext context)
    {
        try
        {
            await context.RequestServices.GetRequiredService<IAntiforgery>().ValidateRequestAsync(context).ConfigureAwait(false);
            return null;
        }
        catch (AntiforgeryValidationException)
        {
            return Layout.Problem(context, "Form expired", "The form's security token is missing or stale: reload the page and try again.", 400);
        }
    }

    /// <summary>A service's problem (not found, conflict, unavailable) as a page in its own words.</summary>
    private static async Task<IResult> Guard(HttpContext context, Func<Task<IResult>> page)
    {
        try
        {
            return await page().ConfigureAwait(false);
        }
        catch (InvocationException ex)
        {
            return Layout.Problem(context, ex.Title, ex.Detail ?? ex.Message, ex.Status is >= 400 and < 600 ? ex.Status : 502);
        }
    }

    private static async Task<(string Text, string? File)> TextOf(IFormCollection form, string field)
    {
        if (form.Files.GetFile(field + "File") is { Length: > 0 } file)
        {
            using var reader = new StreamReader(file.OpenReadStream());
            return (await reader.ReadToEndAsync().ConfigureAwait(false), Path.GetFileName(file.FileName));
        }

        return (form[field].ToString().Trim(), null);
    }

    /// <summary>Goal literals as typed: <c>(on a b) (not (clear c))</c>; null when none.</summary>
    internal static IReadOnlyList<ContractLiteral>? ParseGoal(string text)
    {
        var literals = Literal().Matches(text).Select(m =>
        {
            var negated = m.Groups["neg"].Success;
            var words = (negated ? m.Groups["neg"].Value : m.Groups["pos"].Value).Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            return new ContractLiteral(words[0], words[1..], negated);
        }).ToList();
        return literals.Count == 0 ? null : literals;
    }

    [GeneratedRegex(@"\(\s*not\s*\((?<neg>[^()]+)\)\s*\)|\((?<pos>[^()]+)\)", RegexOptions.CultureInvariant)]
    private static partial Regex Literal();
}
