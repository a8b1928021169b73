using Microsoft.AspNetCore.Http;
using static Maximus.Ui.Html;

namespace Maximus.Ui.Pages;

/// <summary>Starts a mission: a plugin, the goal (or for the PDDL plugin the domain and problem, pasted or uploaded), the options.</summary>
internal static class StartPage
{
    public static IResult Render(HttpContext context, IEnumerable<string> plugins, string? error = null, int status = 200)
    {
        var body = $"""
            <h1>Start a mission</h1>
            {(error is null ? "" : $"<p class=\"error\" role=\"alert\">{E(error)}</p>")}
            <form method="post" action="/ui/start" enctype="multipart/form-data" class="start">
            {Layout.Token(context)}
            <fieldset><legend>What to act through</legend>
            <label for="s-plugin">Plugin</label>
            <select id="s-plugin" name="plugin">{string.Concat(plugins.Select(p => $"<option>{E(p)}</option>"))}</select>
            <label for="s-agent">Agent (whose memory the mission uses)</label>
            <input id="s-agent" name="agent" value="default" pattern="[A-Za-z0-9._\-]{"{"}1,64{"}"}" required>
            <label for="s-context">Context (another plugin's environment or server; the PDDL plugin makes its own)</label>
            <input id="s-context" name="context">
            </fieldset>
            <fieldset><legend>The goal</legend>
            <label for="s-goal">Goal literals, e.g. <code>(on a b) (on b c)</code> (PDDL: leave empty to use the problem's goal)</label>
            <textarea id="s-goal" name="goal" rows="2"></textarea>
            <label for="s-domain">PDDL domain (paste)</label>
            <textarea id="s-domain" name="domain" rows="6"></textarea>
            <label for="s-domain-file">or upload the domain file</label>
            <input id="s-domain-file" name="domainFile" type="file" accept=".pddl,text/plain">
            <label for="s-problem">PDDL problem (paste)</label>
            <textarea id="s-problem" name="problem" rows="6"></textarea>
            <label for="s-problem-file">or upload the problem file</label>
            <input id="s-problem-file" name="problemFile" type="file" accept=".pddl,text/plain">
            </fieldset>
            <fieldset><legend>Options</legend>
            <div class="check"><input id="s-simulate" name="simulate" type="checkbox" value="true" checked><label for="s-simulate">Simulate candidates before acting</label></div>
            <label for="s-planner">Planner</label>
            <select id="s-planner" name="planner"><option>auto</option><option>symbolic</option><option>llm</option></select>
            <label for="s-replans">Max replans</label>
            <input id="s-replans" name="maxReplans" type="number" min="0" max="100" value="3">
            </fieldset>
            <button type="submit">Start the mission</button>
            </form>
            """;
        return Layout.Page(context, "Start a mission", Layout.Start, body, status: status);
    }
}
