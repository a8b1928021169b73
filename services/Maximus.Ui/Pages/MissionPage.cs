using System.Globalization;
using System.Text;
using Maximus.Contracts.Missions;
using Microsoft.AspNetCore.Http;
using static Maximus.Ui.Html;

namespace Maximus.Ui.Pages;

/// <summary>
/// One mission: its phases, every planning round with its candidates and their simulations and the critic's choice, the
/// executed steps with the predicted state change beside the observed one, replans, reflection and the memories recalled.
/// </summary>
internal static class MissionPage
{
    public static IResult Render(HttpContext context, MissionView m, TimeProvider time)
    {
        var body = new StringBuilder();
        var r = m.Result;
        var ended = MissionListPage.Ended(m);
        var goal = m.Request?.Goal is { Count: > 0 } g ? string.Join(' ', g.Select(l => l.ToString())) : m.Request?.Description ?? "declared by the plugin";
        body.Append($"""
            <h1>Mission {E(m.MissionId)} {MissionListPage.Badge(m.Status)}</h1>
            <dl class="summary">
            <dt>Plugin</dt><dd>{E(m.Request?.PluginAppId)}{(m.Request?.Context is { } c ? $" (context {E(c)})" : "")}</dd>
            <dt>Agent</dt><dd><a href="/ui/memory?agent={U(m.Request?.AgentId)}">{E(m.Request?.AgentId)}</a></dd>
            <dt>Goal</dt><dd>{E(goal)}</dd>
            <dt>Phase</dt><dd>{E(MissionListPage.Phase(m))}{(m.Progress is { } p ? $", {p.StepsExecuted} step(s) executed, {p.Replans} replan(s)" : "")}</dd>
            <dt>Started</dt><dd>{Time(m.CreatedAt)}</dd>
            <dt>Duration</dt><dd>{Duration((ended ? m.UpdatedAt : time.GetUtcNow()) - m.CreatedAt)}</dd>
            {(r is null ? "" : $"<dt>Planner</dt><dd>{E(r.Planner ?? "none")}</dd><dt>Goal reached</dt><dd>{(r.GoalReached ? "yes" : "no")}</dd>")}
            {(r?.Reason is { } reason ? $"<dt>Why it stopped</dt><dd>{E(reason)}</dd>" : "")}
            {(m.Failure is { } failure ? $"<dt>Failure</dt><dd class=\"error\">{E(failure)}</dd>" : "")}
            </dl>
            """);
        if (MissionListPage.Waits(m))
        {
            body.Append($"""
                <section class="banner" aria-labelledby="approval">
                <h2 id="approval">Approval needed: {E(m.Progress!.Phase)}</h2>
                <p>The step is marked risky by its plugin; it runs only when approved. Denying it ends the mission.</p>
                {MissionListPage.ApprovalForm(context, m.MissionId, "approval-comment")}
                </section>
                """);
        }

        if (r is null)
        {
            body.Append($"<p class=\"muted\">The mission is {E(MissionListPage.Phase(m))}. Its planning rounds, simulations and executed steps show here when it ends; this page updates by itself.</p>");
        }
        else
        {
            Timeline(body, r);
            Executed(body, r);
            Rounds(body, r);
            Replans(body, r);
            Reflection(body, r);
            Recalled(body, r, m.Request?.AgentId ?? "default");
        }

        return Layout.Page(context, $"Mission {m.MissionId}", Layout.Missions, body.ToString(), stream: ended ? null : $"/ui/events?mission={U(m.MissionId)}", stamp: MissionListPage.Stamp(m));
    }

    private static void Timeline(StringBuilder body, MissionResult r)
    {
        var total = Math.Max(r.Phases.Sum(p => p.DurationMs), 0.001);
        body.Append("""
            <section aria-labelledby="timeline"><h2 id="timeline">Timeline of phases</h2>
            <table class="timeline"><thead><tr><th scope="col">Phase</th><th scope="col">Duration</th><th scope="col">Share</th></tr></thead><tbody>
            """);
        foreach (var phase in r.Phases)
        {
            var share = phase.DurationMs / total;
            body.Append($"<tr><th scope=\"row\">{E(phase.Name)}</th><td>{Ms(phase.DurationMs)}</td><td><span class=\"bar\" style=\"width:{(share * 100).ToString("0.#", CultureInfo.InvariantCulture)}%\"></span> {Percent(share)}</td></tr>");
        }

        body.Append("</tbody></table></section>");
    }

    private static void Executed(StringBuilder body, MissionResult r)
    {
        body.Append("<section aria-labelledby=\"executed\"><h2 id=\"executed\">Executed steps: predicted and observed</h2>");
        if (r.Steps is not { } steps)
        {
            // A result written before steps were recorded: the plan only.
            body.Append("<p class=\"muted\">This mission was recorded before predicted and observed state changes were kept; its executed plan:</p><ol class=\"plan\">");
            body.Append(string.Concat(r.Plan.Select(s => $"<li>{E(s)}</li>")));
            body.Append("</ol></section>");
            return;
        }

        var surprises = steps.Count(s => s.Surprise);
        body.Append($"""
            <p>{steps.Count} step(s) run, {surprises} surprise(s){(surprises > 0 ? " (highlighted)" : "")}. A surprise is a failed step or an observed state change that differs from the predicted one.</p>
            <table class="steps">
            <caption class="sr-only">Each executed step, the world model's prediction and what the plugin observed</caption>
            <thead><tr><th scope="col">#</th><th scope="col">Step</th><th scope="col">Round</th><th scope="col">Planner</th><th scope="col">Outcome</th><th scope="col">Predicted success</th><th scope="col">Predicted state change</th><th scope="col">Observed state change</th><th scope="col">Surprise</th></tr></thead>
            <tbody>
            """);
        for (var i = 0; i < steps.Count; i++)
        {
            var s = steps[i];
            var observed = s.Observed is { } o ? Change(o.Added, o.Removed) : "<span class=\"muted\">no state reported</span>";
            var predicted = s.Predicted is { } p ? Change(p.Added, p.Removed) : "<span class=\"muted\">not simulated</span>";
            var detail = s.Error ?? (s.Outcome == "Succeeded" ? null : s.Observation);
            body.Append($"""
                <tr{(s.Surprise ? " class=\"surprise\"" : "")}><td>{i + 1}</td><td><code>{E(s.Step)}</code></td><td>{s.Round}</td><td>{E(s.Planner)}</td><td>{E(s.Outcome)}{(detail is null ? "" : $"<br><small>{E(detail)}</small>")}</td><td>{(s.PredictedProbability is { } pp ? Percent(pp) : "—")}</td><td>{predicted}</td><td>{observed}</td><td>{(s.Surprise ? "<strong>yes</strong>" : "no")}</td></tr>
                """);
        }

        body.Append("</tbody></table></section>");
    }

    private static void Rounds(StringBuilder body, MissionResult r)
    {
        body.Append("<section aria-labelledby=\"rounds\"><h2 id=\"rounds\">Planning rounds</h2>");
        foreach (var round in r.Rounds ?? [])
        {
            body.Append($"<h3>Round {round.Round}: {E(round.Outcome)}</h3>");
            if (round.Reason is { } why)
            {
                body.Append($"<p>{E(why)}</p>");
            }

            var candidates = round.Candidates ?? [];
            if (candidates.Count == 0)
            {
                body.Append($"<p class=\"muted\">{(round.Planners.Count == 0 ? "No candidate." : $"Candidates from {E(string.Join(", ", round.Planners))} (not recorded in detail).")}</p>");
            }

            for (var c = 0; c < candidates.Count; c++)
            {
                Candidate(body, round, c, candidates[c]);
            }
        }

        body.Append("</section>");
    }

    private static void Candidate(StringBuilder body, PlanningRound round, int index, CandidateTrace candidate)
    {
        var chosen = round.Chosen == index;
        var verdict = candidate.Valid is null
            ? "not simulated"
            : $"simulated: {(candidate.Valid == true ? "valid" : "invalid")}, goal {(candidate.GoalReached == true ? "reached" : "not reached")}, success probability {Percent(candidate.SuccessProbability ?? 0)}";
        body.Append($"""
            <details class="candidate{(chosen ? " chosen" : "")}"{(chosen ? " open" : "")}>
            <summary>Candidate {index + 1} ({E(candidate.Planner)}, {candidate.Steps.Count} steps): {E(verdict)}{(chosen ? " — <strong>chosen by the critic</strong>" : "")}</summary>
            {(candidate.Reason is { } reason ? $"<p>{E(reason)}</p>" : "")}
            <table class="simulation">
            <caption class="sr-only">Simulation of candidate {index + 1} of round {round.Round}</caption>
            <thead><tr><th scope="col">#</th><th scope="col">Step</th><th scope="col">Predicted success</th><th scope="col">Preconditions</th><th scope="col">Predicted state change</th></tr></thead><tbody>
            """);
        var forecast = candidate.Forecast ?? [];
        for (var i = 0; i < candidate.Steps.Count; i++)
        {
            var f = i < forecast.Count ? forecast[i] : null;
            var preconditions = f is null
                ? "<span class=\"muted\">not simulated</span>"
                : string.Join("<br>", f.Preconditions.Select(p => f.Unmet.Contains(p, StringComparer.OrdinalIgnoreCase) ? $"<span class=\"del\">unmet {E(p)}</span>" : E(p))
                    .Concat(f.Unmet.Where(u => !f.Preconditions.Contains(u, StringComparer.OrdinalIgnoreCase)).Select(u => $"<span class=\"del\">unmet {E(u)}</span>")));
            body.Append($"""
                <tr{(f is { PreconditionsHold: false } ? " class=\"surprise\"" : "")}><td>{i + 1}</td><td><code>{E(candidate.Steps[i])}</code></td><td>{(f is null ? "—" : Percent(f.Probability))}</td><td>{(preconditions.Length == 0 ? "<span class=\"muted\">none declared</span>" : preconditions)}</td><td>{(f is null ? "—" : Change(f.Change.Added, f.Change.Removed))}</td></tr>
                """);
        }

        body.Append("</tbody></table></details>");
    }

    private static void Replans(StringBuilder body, MissionResult r)
    {
        body.Append($"<section aria-labelledby=\"replans\"><h2 id=\"replans\">Replans ({r.Replans})</h2>");
        if (r.ReplanReasons is { Count: > 0 } reasons)
        {
            body.Append("<ol>").Append(string.Concat(reasons.Select(x => $"<li>{E(x)}</li>"))).Append("</ol>");
        }
        else
        {
            body.Append(r.Replans == 0 ? "<p>None: the first accepted plan ran to the end.</p>" : "<p class=\"muted\">The reasons were not recorded for this mission.</p>");
        }

        body.Append("</section>");
    }

    private static void Reflection(StringBuilder body, MissionResult r)
    {
        body.Append($"""
            <section aria-labelledby="reflection"><h2 id="reflection">Reflection</h2>
            <p>Quality: {(r.QualityScore is { } q ? Number(q) : "not scored")}. {r.StepsExecuted} step(s) executed, {r.FailedSteps} failed.</p>
            """);
        if (r.Lessons is { Count: > 0 } lessons)
        {
            body.Append("<h3>Lessons</h3><ul>").Append(string.Concat(lessons.Select(l => $"<li>{E(l)}</li>"))).Append("</ul>");
        }

        body.Append("</section>");
    }

    private static void Recalled(StringBuilder body, MissionResult r, string agentId)
    {
        body.Append("<section aria-labelledby=\"recalled\"><h2 id=\"recalled\">Memories recalled</h2>");
        if (r.Recalled is not { Count: > 0 } recalled)
        {
            body.Append("<p>None: memory had nothing for this goal yet.</p></section>");
            return;
        }

        body.Append("<table><thead><tr><th scope=\"col\">Memory</th><th scope=\"col\">Type</th><th scope=\"col\">Why</th></tr></thead><tbody>");
        foreach (var memory in recalled)
        {
            body.Append($"<tr><td><a href=\"/ui/memory/{U(agentId)}/entries/{U(memory.Id)}\">{E(memory.Id)}</a></td><td>{E(memory.Type)}</td><td>{E(memory.Why)}</td></tr>");
        }

        body.Append("</tbody></table></section>");
    }
}
