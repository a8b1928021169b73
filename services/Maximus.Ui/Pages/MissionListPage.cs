using System.Text;
using Maximus.Contracts.Missions;
using Microsoft.AspNetCore.Http;
using static Maximus.Ui.Html;

namespace Maximus.Ui.Pages;

/// <summary>The missions, newest first, filtered; risky steps that wait for a decision as banners on top.</summary>
internal static class MissionListPage
{
    public const string AwaitingApproval = "awaiting approval";

    public static bool Waits(MissionView m) => m.Progress?.Phase.StartsWith(AwaitingApproval, StringComparison.Ordinal) == true && !Ended(m);

    public static bool Ended(MissionView m) => m.Status is "Succeeded" or "Failed";

    public static IResult Render(HttpContext context, IReadOnlyList<MissionView> missions, string? status, string? plugin, string? q, TimeProvider time)
    {
        var shown = missions
            .Where(m => string.IsNullOrEmpty(status) || string.Equals(m.Status, status, StringComparison.OrdinalIgnoreCase))
            .Where(m => string.IsNullOrEmpty(plugin) || m.Request?.PluginAppId == plugin)
            .Where(m => string.IsNullOrEmpty(q) || Text(m).Contains(q, StringComparison.OrdinalIgnoreCase))
            .OrderByDescending(m => m.CreatedAt)
            .ToList();
        var body = new StringBuilder();
        body.Append("<h1>Missions</h1>");
        var waiting = missions.Where(Waits).ToList();
        for (var i = 0; i < waiting.Count; i++)
        {
            var m = waiting[i];
            body.Append($"""
                <section class="banner" aria-labelledby="wait-{i}">
                <h2 id="wait-{i}">Mission <a href="/ui/missions/{U(m.MissionId)}">{E(m.MissionId)}</a> is {E(m.Progress!.Phase)}</h2>
                {ApprovalForm(context, m.MissionId, $"wait-comment-{i}")}
                </section>
                """);
        }

        var statuses = missions.Select(m => m.Status).Append("Succeeded").Append("Failed").Append("Running").Distinct().Order(StringComparer.Ordinal);
        var plugins = missions.Select(m => m.Request?.PluginAppId).OfType<string>().Distinct().Order(StringComparer.Ordinal);
        body.Append($"""
            <form method="get" action="/ui/" class="filters" role="search" aria-label="Filter the missions">
            <label for="f-status">Status</label>
            <select id="f-status" name="status"><option value="">any</option>{Options(statuses, status)}</select>
            <label for="f-plugin">Plugin</label>
            <select id="f-plugin" name="plugin"><option value="">any</option>{Options(plugins, plugin)}</select>
            <label for="f-q">Contains</label>
            <input id="f-q" name="q" type="search" value="{E(q)}">
            <button type="submit">Filter</button>
            </form>
            <p class="muted" aria-live="polite">{shown.Count} of {missions.Count} missions, newest first; the list updates by itself.</p>
            <table class="missions">
            <caption class="sr-only">Missions</caption>
            <thead><tr><th scope="col">Mission</th><th scope="col">Status</th><th scope="col">Plugin</th><th scope="col">Agent</th><th scope="col">Phase</th><th scope="col">Duration</th><th scope="col">Started</th></tr></thead>
            <tbody>
            """);
        var now = time.GetUtcNow();
        foreach (var m in shown)
        {
            var duration = (Ended(m) ? m.UpdatedAt : now) - m.CreatedAt;
            body.Append($"""
                <tr><td><a href="/ui/missions/{U(m.MissionId)}">{E(m.MissionId)}</a></td><td>{Badge(m.Status)}</td><td>{E(m.Request?.PluginAppId)}</td><td>{E(m.Request?.AgentId)}</td><td>{E(Phase(m))}</td><td>{Duration(duration)}</td><td>{Time(m.CreatedAt)}</td></tr>
                """);
        }

        body.Append("</tbody></table>");
        if (shown.Count == 0)
        {
            body.Append("<p>No mission yet. <a href=\"/ui/start\">Start one</a>, or run <code>maximus demo</code>.</p>");
        }

        return Layout.Page(context, "Missions", Layout.Missions, body.ToString(), stream: "/ui/events", stamp: Stamp(missions));
    }

    /// <summary>What changes when a mission's row or page would change.</summary>
    public static string Stamp(MissionView m) =>
        $"{m.MissionId}:{m.Status}:{m.UpdatedAt.UtcTicks}:{m.Progress?.Phase}:{m.Progress?.StepsExecuted}";

    public static string Stamp(IReadOnlyList<MissionView> missions) =>
        Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(string.Join('|', missions.Select(Stamp)))))[..16];

    public static string Phase(MissionView m) => Ended(m) ? "done" : m.Progress?.Phase ?? "starting";

    public static string Badge(string status) => $"<span class=\"badge {E(status.ToLowerInvariant())}\">{E(status)}</span>";

    /// <summary>Approve / Deny with a comment; it posts to the mission's approvals API through <c>/ui/missions/{id}/approval</c>.</summary>
    public static string ApprovalForm(HttpContext context, string missionId, string commentId) => $"""
        <form method="post" action="/ui/missions/{U(missionId)}/approval" class="approval">
        {Layout.Token(context)}
        <label for="{commentId}">Comment (optional)</label>
        <input id="{commentId}" name="comment" type="text" maxlength="500">
        <button type="submit" name="decision" value="approve" class="approve">Approve</button>
        <button type="submit" name="decision" value="deny" class="deny">Deny</button>
        </form>
        """;

    private static string Options(IEnumerable<string> values, string? selected) =>
        string.Concat(values.Select(v => $"<option{(v == selected ? " selected" : "")}>{E(v)}</option>"));

    private static string Text(MissionView m) =>
        $"{m.MissionId} {m.Request?.PluginAppId} {m.Request?.AgentId} {m.Request?.Description} {string.Join(' ', m.Request?.Goal?.Select(g => g.ToString()) ?? [])}";
}
