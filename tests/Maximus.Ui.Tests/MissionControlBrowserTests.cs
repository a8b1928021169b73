using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using Deque.AxeCore.Commons;
using Deque.AxeCore.Playwright;
using Maximus.Contracts.Missions;
using Maximus.Contracts.Planning;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Maximus.Ui.Tests;

/// <summary>
/// Mission control in a real browser (the system's Chromium through Playwright) against the host on a loopback port:
/// the demo mission started from the page, its plan, simulations and executed steps; an approval from the page; memory
/// searched and forgotten; an accessibility scan; the page weight and first paint of a 50-step mission.
/// </summary>
public sealed class MissionControlBrowserTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static string Sample(string name) => File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Samples", name));

    [Fact]
    public async Task The_demo_mission_started_from_the_page_shows_its_plan_simulation_and_executed_steps()
    {
        await using var browser = await Browser.LaunchAsync();
        await using var host = await UiHost.StartAsync();
        var page = await browser.PageAsync(host);

        await page.GotoAsync("/ui/start");
        await page.SelectOptionAsync("#s-plugin", "pddl-env");
        await page.FillAsync("#s-domain", Sample("blocksworld-domain.pddl"));
        await page.FillAsync("#s-problem", Sample("blocksworld-problem.pddl"));
        await page.ClickAsync("button[type=submit] >> text=Start the mission");
        await page.WaitForURLAsync("**/ui/missions/*");

        // The page follows the mission live (server-sent events) until it ends.
        await Expect(page.Locator("h1 .badge")).ToHaveTextAsync("Succeeded", new() { Timeout = 90_000 });
        var missionId = page.Url.Split('/')[^1];
        var result = (await host.MissionAsync(missionId)).Result!;
        Assert.NotEmpty(result.Plan);

        var executed = page.Locator("table.steps tbody tr");
        Assert.Equal(result.Plan.Count, await executed.CountAsync());
        var stepsText = await page.Locator("table.steps").InnerTextAsync();
        foreach (var step in result.Plan)
        {
            Assert.Contains(step, stepsText, StringComparison.Ordinal);
        }

        var headers = await page.Locator("table.steps thead").InnerTextAsync();
        Assert.Contains("Predicted state change", headers, StringComparison.Ordinal);
        Assert.Contains("Observed state change", headers, StringComparison.Ordinal);

        // The last step stacks a on b: predicted and observed both add (on a b).
        var last = executed.Last;
        Assert.Contains("+ (on a b)", await last.Locator("td").Nth(6).InnerTextAsync(), StringComparison.Ordinal);
        Assert.Contains("+ (on a b)", await last.Locator("td").Nth(7).InnerTextAsync(), StringComparison.Ordinal);

        // The chosen candidate of the last round, its simulation per step and the critic's choice.
        var chosen = page.Locator("details.candidate.chosen").Last;
        await Expect(chosen.Locator("summary")).ToContainTextAsync("chosen by the critic");
        var simulation = await chosen.Locator("table.simulation").InnerTextAsync();
        Assert.Contains("Predicted success", simulation, StringComparison.Ordinal);
        Assert.Contains("(holding a)", simulation, StringComparison.Ordinal);
        await Expect(page.Locator("#timeline")).ToBeVisibleAsync();
        await Browser.ScreenshotAsync(page, "mission-control-mission");

        // The mission list shows it, newest first.
        await page.GotoAsync("/ui/");
        await Expect(page.Locator("table.missions tbody tr").First).ToContainTextAsync(missionId);
        await Browser.ScreenshotAsync(page, "mission-control-missions");
    }

    [Fact]
    public async Task A_risky_step_is_approved_from_the_page_and_the_mission_finishes()
    {
        await using var browser = await Browser.LaunchAsync();
        await using var host = await UiHost.StartAsync();
        var page = await browser.PageAsync(host);
        var context = host.Plugin.Add(Maximus.Tests.TestPddl.Blocksworld, """
            (define (problem pair) (:domain blocks) (:objects a b)
              (:init (handempty) (ontable a) (ontable b) (clear a) (clear b))
              (:goal (on a b)))
            """);
        var missionId = await host.StartMissionAsync(new MissionRequest(RiskyPlugin.AppId, context));
        await host.WaitAsync(missionId, v => v.Progress?.Phase.StartsWith("awaiting approval", StringComparison.Ordinal) == true);

        // The list shows the waiting step as a banner with its Approve / Deny.
        await page.GotoAsync("/ui/");
        var banner = page.Locator("section.banner");
        await Expect(banner).ToContainTextAsync("awaiting approval of (stack a b)");
        await Expect(banner.Locator("button.approve")).ToBeVisibleAsync();
        Assert.DoesNotContain("stack", host.Plugin.Executed);

        await page.GotoAsync($"/ui/missions/{missionId}");
        await page.FillAsync("#approval-comment", "checked the crane");
        await Browser.ScreenshotAsync(page, "mission-control-approval");
        await page.ClickAsync("section.banner button.approve");
        await Expect(page.Locator("h1 .badge")).ToHaveTextAsync("Succeeded", new() { Timeout = 60_000 });

        Assert.Contains("stack", host.Plugin.Executed);
        Assert.True((await host.MissionAsync(missionId)).Result!.GoalReached);
    }

    [Fact]
    public async Task Memory_is_searched_inspected_and_an_entry_forgotten_from_the_page()
    {
        await using var browser = await Browser.LaunchAsync();
        await using var host = await UiHost.StartAsync();
        var page = await browser.PageAsync(host);
        using var written = await host.Http.PostAsJsonAsync("/v1/memory/default/entries",
            new { type = "episodic", text = "The blue crane lifted the red container onto the barge", tags = new Dictionary<string, string> { ["missionId"] = "m-crane" } }, Ct);
        Assert.Equal(HttpStatusCode.Created, written.StatusCode);
        using var other = await host.Http.PostAsJsonAsync("/v1/memory/default/entries", new { type = "episodic", text = "Lunch was soup" }, Ct);
        Assert.Equal(HttpStatusCode.Created, other.StatusCode);
        var id = (await written.Content.ReadFromJsonAsync<System.Text.Json.Nodes.JsonObject>(Ct))!["id"]!.GetValue<string>();

        await page.GotoAsync("/ui/memory");
        await Expect(page.Locator("table.entries tbody tr")).ToHaveCountAsync(2);
        await page.FillAsync("#m-q", "crane container");
        await page.ClickAsync("form.filters button[type=submit]");
        var hits = page.Locator("table.entries tbody tr");
        await Expect(hits.First).ToContainTextAsync("blue crane");
        await Browser.ScreenshotAsync(page, "mission-control-memory");

        // Inspect: payload and provenance.
        await page.ClickAsync($"table.entries a:text-is('{id}')");
        await Expect(page.Locator("h1")).ToContainTextAsync(id);
        await Expect(page.Locator("pre.payload")).ToContainTextAsync("blue crane");
        await Expect(page.Locator("a[href='/ui/missions/m-crane']")).ToBeVisibleAsync();

        await page.ClickAsync("#forget-entry");
        await Expect(page.Locator("p[role=status]")).ToContainTextAsync($"Forgot entry {id}");
        await Expect(page.Locator("table.entries")).Not.ToContainTextAsync("blue crane");
        using var gone = await host.Http.GetAsync($"/v1/memory/default/entries/{id}", Ct);
        Assert.Equal(HttpStatusCode.NotFound, gone.StatusCode);
    }

    [Fact]
    public async Task Every_page_passes_an_axe_scan_without_serious_or_critical_violations()
    {
        await using var browser = await Browser.LaunchAsync();
        await using var host = await UiHost.StartAsync();
        var page = await browser.PageAsync(host);
        var environment = await host.CreatePddlEnvironmentAsync(Sample("blocksworld-domain.pddl"), Sample("blocksworld-problem.pddl"));
        var missionId = await host.StartMissionAsync(new MissionRequest("pddl-env", environment));
        await host.WaitAsync(missionId);
        using var fact = await host.Http.PostAsJsonAsync("/v1/memory/default/entries",
            new { type = "semantic", text = "a is on b", fact = new { subject = "a", predicate = "on", @object = "b" } }, Ct);
        var factId = (await fact.Content.ReadFromJsonAsync<System.Text.Json.Nodes.JsonObject>(Ct))!["id"]!.GetValue<string>();

        var failures = new List<string>();
        foreach (var path in new[] { "/ui/", $"/ui/missions/{missionId}", "/ui/start", "/ui/memory", "/ui/memory?type=semantic", $"/ui/memory/default/entries/{factId}", "/ui/memory?type=vault" })
        {
            await page.GotoAsync(path);
            var results = await page.RunAxe();
            failures.AddRange(results.Violations
                .Where(v => v.Impact is "serious" or "critical")
                .Select(v => $"{path}: {v.Id} ({v.Impact}) {v.Help} at {string.Join(", ", v.Nodes.Take(3).Select(n => n.Html))}"));
        }

        Assert.True(failures.Count == 0, string.Join(Environment.NewLine, failures));
    }

    [Fact]
    public async Task A_fifty_step_mission_page_renders_every_step_and_reports_its_weight_and_first_paint()
    {
        await using var browser = await Browser.LaunchAsync();
        await using var host = await UiHost.StartAsync();
        var environment = await host.CreatePddlEnvironmentAsync(Sample("blocksworld-domain.pddl"), """
            (define (problem keep-the-tower) (:domain blocksworld) (:objects a b c d)
              (:init (handempty) (ontable a) (on b a) (on c b) (on d c) (clear d))
              (:goal (and (ontable d))))
            """);

        // 50 given steps through the real services: take d off the tower and put it back 24 times, then put it on the table.
        var steps = Enumerable.Range(0, 24).SelectMany(_ => new[]
        {
            new PlanStep("unstack", [new("x", "d"), new("y", "c")]),
            new PlanStep("stack", [new("x", "d"), new("y", "c")]),
        }).Append(new PlanStep("unstack", [new("x", "d"), new("y", "c")])).Append(new PlanStep("put-down", [new("x", "d")])).ToList();
        var missionId = await host.StartMissionAsync(new MissionRequest("pddl-env", environment, Steps: steps));
        var done = await host.WaitAsync(missionId);
        Assert.Equal("Succeeded", done.Status);
        Assert.Equal(50, done.Result!.StepsExecuted);

        var page = await browser.PageAsync(host);
        long transferred = 0;
        var responses = new List<IResponse>();
        page.Response += (_, response) => responses.Add(response);
        await page.GotoAsync($"/ui/missions/{missionId}", new() { WaitUntil = WaitUntilState.Load });
        foreach (var response in responses)
        {
            var sizes = await response.Request.SizesAsync();
            transferred += sizes.ResponseBodySize + sizes.ResponseHeadersSize;
        }

        var firstPaint = await page.EvaluateAsync<double>(
            """
            () => new Promise(resolve => {
              const now = performance.getEntriesByName('first-contentful-paint')[0];
              if (now) { resolve(now.startTime); return; }
              new PerformanceObserver(list => {
                const entry = list.getEntriesByName('first-contentful-paint')[0];
                if (entry) { resolve(entry.startTime); }
              }).observe({ type: 'paint', buffered: true });
              setTimeout(() => resolve(-1), 5000);
            })
            """);
        await Expect(page.Locator("table.steps tbody tr")).ToHaveCountAsync(50);
        Assert.True(transferred > 0);
        Assert.True(firstPaint > 0, "the browser reported no first contentful paint");

        var figures = string.Create(CultureInfo.InvariantCulture,
            $"{{\"missionSteps\":50,\"requests\":{responses.Count},\"bytesTransferred\":{transferred},\"firstContentfulPaintMs\":{firstPaint:0.0}}}");
        TestContext.Current.TestOutputHelper?.WriteLine($"mission page weight and first paint: {figures}");
        Console.WriteLine($"mission page weight and first paint: {figures}");
        await File.WriteAllTextAsync(Path.Combine(Browser.Artifacts(), "mission-page-50-steps.json"), figures, Ct);
        await Browser.ScreenshotAsync(page, "mission-control-50-steps");
    }
}
