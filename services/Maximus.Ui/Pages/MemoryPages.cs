using System.Text;
using System.Text.Json;
using Maximus.Contracts.Memory;
using Maximus.Contracts.Missions;
using Maximus.Memory.Actors;
using Maximus.Memory.Vault;
using Maximus.ServiceDefaults;
using Microsoft.AspNetCore.Http;
using static Maximus.Ui.Html;

namespace Maximus.Ui.Pages;

/// <summary>An agent's memory by type: browse, search, one entry (payload, provenance, validity, usage), forget; the vault's labels only.</summary>
internal static class MemoryPages
{
    public static readonly string[] Types = ["episodic", "semantic", "procedural", "resource", "core", "vault"];

    /// <summary>The filter form: agent, type, query, search mode.</summary>
    public static string Form(string agentId, string type, string? q, string mode, IEnumerable<string> agents) => $"""
        <form method="get" action="/ui/memory" class="filters" role="search" aria-label="Browse or search memory">
        <label for="m-agent">Agent</label>
        <input id="m-agent" name="agent" value="{E(agentId)}" list="m-agents" pattern="[A-Za-z0-9._\-]{"{"}1,64{"}"}" required>
        <datalist id="m-agents">{string.Concat(agents.Select(a => $"<option value=\"{E(a)}\"></option>"))}</datalist>
        <label for="m-type">Type</label>
        <select id="m-type" name="type">{string.Concat(Types.Select(t => $"<option{(t == type ? " selected" : "")}>{t}</option>"))}</select>
        <label for="m-q">Search</label>
        <input id="m-q" name="q" type="search" value="{E(q)}" placeholder="what to look for">
        <label for="m-mode">Search by</label>
        <select id="m-mode" name="mode"><option value="hybrid"{(mode == "hybrid" ? " selected" : "")}>hybrid (words and meaning)</option><option value="meaning"{(mode == "meaning" ? " selected" : "")}>meaning, this type only</option></select>
        <button type="submit">Show</button>
        </form>
        """;

    public static string Entries(HttpContext context, string agentId, string type, IReadOnlyList<(MemoryEntry Entry, string? Score)> entries, string caption)
    {
        var body = new StringBuilder($"""
            <table class="entries">
            <caption>{E(caption)}</caption>
            <thead><tr><th scope="col">Entry</th><th scope="col">Type</th><th scope="col">Text</th><th scope="col">When</th><th scope="col">Score</th><th scope="col">Forget</th></tr></thead><tbody>
            """);
        var i = 0;
        foreach (var (entry, score) in entries)
        {
            i++;
            body.Append($"""
                <tr><td><a href="/ui/memory/{U(agentId)}/entries/{U(entry.Id)}">{E(entry.Id)}</a></td><td>{E(entry.Type.ToString().ToLowerInvariant())}</td><td>{E(Shorten(entry.Text, 200))}</td><td>{Time(entry.OccurredAt ?? entry.CreatedAt)}</td><td>{E(score ?? "—")}</td>
                <td>{ForgetForm(context, agentId, entry.Id, type, $"forget-{i}")}</td></tr>
                """);
        }

        body.Append("</tbody></table>");
        if (entries.Count == 0)
        {
            body.Append("<p>Nothing here.</p>");
        }

        return body.ToString();
    }

    public static string ForgetForm(HttpContext context, string agentId, string id, string type, string buttonId) => $"""
        <form method="post" action="/ui/memory/{U(agentId)}/entries/{U(id)}/forget" class="inline">
        {Layout.Token(context)}<input type="hidden" name="type" value="{E(type)}">
        <button type="submit" id="{buttonId}" class="deny" aria-label="Forget {E(id)}">Forget</button>
        </form>
        """;

    public static string Core(CoreMemory core)
    {
        if (core.Blocks.Count == 0)
        {
            return "<p>No core memory block.</p>";
        }

        return "<table><caption>Core memory blocks (always in the prompt)</caption><thead><tr><th scope=\"col\">Block</th><th scope=\"col\">Text</th><th scope=\"col\">Updated</th><th scope=\"col\">Version</th></tr></thead><tbody>"
            + string.Concat(core.Blocks.Select(b => $"<tr><th scope=\"row\">{E(b.Name)}</th><td>{E(b.Text)}</td><td>{Time(b.UpdatedAt)}</td><td>{b.Version}</td></tr>"))
            + "</tbody></table>";
    }

    /// <summary>The vault: labels, key ids, expiry and the audit trail. The API these come from never returns a secret.</summary>
    public static string Vault(IReadOnlyList<VaultEntryInfo> entries, IReadOnlyList<VaultAuditEntry> audit)
    {
        var body = new StringBuilder("<p>The vault shows labels, expiry and who asked for what; a secret's value is never shown here.</p>");
        body.Append("<table><caption>Vault entries</caption><thead><tr><th scope=\"col\">Label</th><th scope=\"col\">Key</th><th scope=\"col\">Created</th><th scope=\"col\">Expires</th></tr></thead><tbody>");
        body.Append(string.Concat(entries.Select(e => $"<tr><td>{E(e.Label)}</td><td>{E(e.KeyId)}</td><td>{Time(e.CreatedAt)}</td><td>{(e.ExpiresAt is { } x ? Time(x) : "never")}</td></tr>")));
        body.Append("</tbody></table>");
        body.Append("<table><caption>Audit trail</caption><thead><tr><th scope=\"col\">When</th><th scope=\"col\">Action</th><th scope=\"col\">Label</th><th scope=\"col\">Allowed</th><th scope=\"col\">Caller</th><th scope=\"col\">Purpose</th></tr></thead><tbody>");
        body.Append(string.Concat(audit.OrderByDescending(a => a.At).Select(a => $"<tr><td>{Time(a.At)}</td><td>{E(a.Action)}</td><td>{E(a.Label)}</td><td>{(a.Allowed ? "yes" : "no")}</td><td>{E(a.Caller)}</td><td>{E(a.Purpose)}</td></tr>")));
        body.Append("</tbody></table>");
        return body.ToString();
    }

    /// <summary>One entry: its payload, provenance (tags: the mission and step that wrote it), validity, usage.</summary>
    public static IResult Entry(HttpContext context, string agentId, MemoryEntry entry, IReadOnlyList<MissionView> recalledBy)
    {
        var type = entry.Type.ToString().ToLowerInvariant();
        var body = new StringBuilder($"""
            <h1>Memory entry {E(entry.Id)}</h1>
            <p><a href="/ui/memory?agent={U(agentId)}&amp;type={U(type)}">Back to {E(agentId)}'s {E(type)} memory</a></p>
            <dl class="summary">
            <dt>Type</dt><dd>{E(type)}</dd>
            <dt>Text</dt><dd>{E(entry.Text)}</dd>
            <dt>Written</dt><dd>{Time(entry.CreatedAt)}</dd>
            {(entry.OccurredAt is { } at ? $"<dt>Happened</dt><dd>{Time(at)}</dd>" : "")}
            <dt>Expires</dt><dd>{(entry.ExpiresAt is { } exp ? Time(exp) : "never")}</dd>
            {(entry.Actor is { } actor ? $"<dt>Actor</dt><dd>{E(actor)}</dd>" : "")}
            {(entry.Outcome is { } outcome ? $"<dt>Outcome</dt><dd>{E(outcome)}</dd>" : "")}
            </dl>
            <h2>Provenance</h2>
            """);
        if (entry.Tags is { Count: > 0 } tags)
        {
            body.Append("<dl class=\"summary\">");
            foreach (var (key, value) in tags.OrderBy(t => t.Key, StringComparer.Ordinal))
            {
                var shown = key == "missionId" ? $"<a href=\"/ui/missions/{U(value)}\">{E(value)}</a>" : E(value);
                body.Append($"<dt>{E(key)}</dt><dd>{shown}</dd>");
            }

            body.Append("</dl>");
        }
        else
        {
            body.Append("<p>No tags: written directly, not by a mission.</p>");
        }

        if (entry.Fact is { } fact)
        {
            body.Append($"""
                <h2>Validity</h2>
                <dl class="summary">
                <dt>Fact</dt><dd>{E(fact.Subject)} · {E(fact.Predicate)} · {E(fact.Object)}</dd>
                <dt>Valid from</dt><dd>{(fact.ValidFrom is { } f ? Time(f) : "when recorded")}</dd>
                <dt>Valid to</dt><dd>{(fact.ValidTo is { } t ? Time(t) : "still true")}</dd>
                <dt>Recorded</dt><dd>{(fact.RecordedAt is { } rec ? Time(rec) : "—")}</dd>
                {(fact.InvalidatedAt is { } inv ? $"<dt>Retracted</dt><dd>{Time(inv)}</dd>" : "")}
                {(fact.SupersededBy is { } by ? $"<dt>Superseded by</dt><dd><a href=\"/ui/memory/{U(agentId)}/entries/{U(by)}\">{E(by)}</a></dd>" : "")}
                </dl>
                """);
        }

        body.Append("<h2>Usage</h2>");
        if (entry.Procedure is { } procedure)
        {
            body.Append($"<p>Procedure for <code>{E(procedure.GoalPattern)}</code>: {procedure.Successes} success(es), {procedure.Failures} failure(s), success rate {Percent(procedure.SuccessRate)}.</p><ol class=\"plan\">{string.Concat(procedure.Steps.Select(s => $"<li><code>{E(s)}</code></li>"))}</ol>");
        }

        body.Append(recalledBy.Count == 0
            ? "<p>No recent mission recalled it.</p>"
            : $"<p>Recalled by {recalledBy.Count} recent mission(s):</p><ul>{string.Concat(recalledBy.Select(m => $"<li><a href=\"/ui/missions/{U(m.MissionId)}\">{E(m.MissionId)}</a> ({E(m.Status)})</li>"))}</ul>");
        body.Append($"""
            <h2>Payload</h2>
            <pre class="payload" tabindex="0">{E(JsonSerializer.Serialize(entry, Indented))}</pre>
            <h2>Forget</h2>
            <p>Forgetting removes the entry for good. To correct a fact, write the new fact instead.</p>
            {ForgetForm(context, agentId, entry.Id, type, "forget-entry")}
            """);
        return Layout.Page(context, $"Memory {entry.Id}", Layout.Memory, body.ToString());
    }

    private static readonly JsonSerializerOptions Indented = new(MaximusJson.Options) { WriteIndented = true };

    private static string Shorten(string text, int max) => text.Length <= max ? text : text[..max] + "…";
}
