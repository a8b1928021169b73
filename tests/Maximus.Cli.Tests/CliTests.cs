using System.Text.Json;
using Maximus.Tests;
using Microsoft.Data.Sqlite;

namespace Maximus.Cli.Tests;

public sealed class CliTests
{
    [Fact]
    public async Task Run_executes_a_pddl_mission_through_the_plugin_and_reports_json()
    {
        using var ws = new Workspace();
        var result = await Cli.RunAsync(["run", "--domain", ws.Write("d.pddl", TestPddl.Blocksworld), "--problem", ws.Write("p.pddl", Workspace.InvertTower), "--json", "--data-dir", ws.DataDir]);

        Assert.True(result.ExitCode == 0, result.StdErr);
        var json = result.Json();
        Assert.Equal("Succeeded", json.GetProperty("status").GetString());
        Assert.True(json.GetProperty("goalReached").GetBoolean());
        Assert.True(json.GetProperty("plan").GetArrayLength() >= 6);
        foreach (var phase in new[] { "plan", "simulate", "execute", "reflect", "remember" })
        {
            Assert.True(json.GetProperty("phases").GetProperty(phase).GetProperty("durationMs").GetDouble() >= 0, phase);
        }
    }

    [Fact]
    public async Task A_second_run_lists_the_episodic_memories_of_the_first()
    {
        using var ws = new Workspace();
        string[] run = ["run", "--domain", ws.Write("d.pddl", TestPddl.Blocksworld), "--problem", ws.Write("p.pddl", Workspace.InvertTower), "--json", "--data-dir", ws.DataDir];
        var first = (await Cli.RunAsync(run)).Json().GetProperty("missionId").GetString();
        var second = (await Cli.RunAsync(run)).Json().GetProperty("missionId").GetString();

        var memory = await Cli.RunAsync(["memory", "list", "--json", "--limit", "100", "--data-dir", ws.DataDir]);

        Assert.Equal(0, memory.ExitCode);
        var items = memory.Json().GetProperty("items").EnumerateArray().ToList();
        var missions = items.Where(i => i.GetProperty("tags").GetProperty("kind").GetString() == "mission")
            .Select(i => i.GetProperty("tags").GetProperty("missionId").GetString()).ToList();
        Assert.Contains(first, missions);
        Assert.Contains(second, missions);
        Assert.Contains(items, i => i.GetProperty("tags").GetProperty("kind").GetString() == "lesson");
    }

    [Fact]
    public async Task A_killed_mission_is_finished_by_resume_without_running_a_completed_step_twice()
    {
        using var ws = new Workspace();
        string[] run = ["run", "--domain", ws.Write("d.pddl", TestPddl.Blocksworld), "--problem", ws.Write("p.pddl", Workspace.InvertTower), "--json", "--data-dir", ws.DataDir];

        // The process kills itself right after the second executed step is journaled.
        var killed = await Cli.RunAsync(run, new Dictionary<string, string> { ["Maximus__Embedded__KillAfterActivity"] = "ExecuteStepActivity:2" });
        Assert.NotEqual(0, killed.ExitCode);
        Assert.DoesNotContain("Succeeded", killed.StdOut, StringComparison.Ordinal);

        var list = (await Cli.RunAsync(["missions", "list", "--json", "--data-dir", ws.DataDir])).Json();
        var mission = Assert.Single(list.EnumerateArray());
        Assert.Equal("Running", mission.GetProperty("status").GetString());
        var missionId = mission.GetProperty("missionId").GetString()!;

        await ResumeToSuccessRunningEachStepOnceAsync(ws, missionId);
    }

    [Fact]
    public async Task Invalid_pddl_is_reported_with_file_and_line_exit_code_2_and_nothing_written()
    {
        using var ws = new Workspace();
        var broken = TestPddl.Blocksworld.Replace("(not (handempty)) (holding ?x)))", "(not (handempty)) (holding ?x ?x)))", StringComparison.Ordinal);
        var brokenLine = broken.Split('\n').ToList().FindIndex(l => l.Contains("(holding ?x ?x)", StringComparison.Ordinal)) + 1;
        Assert.True(brokenLine > 0, "the broken atom is in the domain");
        var domain = ws.Write("broken.pddl", broken);

        var result = await Cli.RunAsync(["run", "--domain", domain, "--problem", ws.Write("p.pddl", Workspace.InvertTower), "--json", "--data-dir", ws.DataDir]);

        Assert.Equal(2, result.ExitCode);
        Assert.Matches($@"broken\.pddl:{brokenLine}:\d+", result.StdErr);
        Assert.False(Directory.Exists(ws.DataDir), "a rejected mission must not create the data folder");
    }

    [Fact]
    public async Task A_missing_file_or_option_is_bad_input()
    {
        using var ws = new Workspace();
        var missing = await Cli.RunAsync(["run", "--domain", Path.Combine(ws.Root, "nope.pddl"), "--problem", Path.Combine(ws.Root, "nope2.pddl"), "--data-dir", ws.DataDir]);
        Assert.Equal(2, missing.ExitCode);
        Assert.Contains("nope.pddl: file not found", missing.StdErr, StringComparison.Ordinal);

        var noProblem = await Cli.RunAsync(["run", "--domain", ws.Write("d.pddl", TestPddl.Blocksworld), "--data-dir", ws.DataDir]);
        Assert.Equal(2, noProblem.ExitCode);
        Assert.Contains("--problem", noProblem.StdErr, StringComparison.Ordinal);
        Assert.False(Directory.Exists(ws.DataDir));
    }

    [Fact]
    public async Task An_unreachable_goal_fails_without_executing_anything()
    {
        using var ws = new Workspace();
        const string impossible = """
            (define (problem impossible)
              (:domain blocks)
              (:objects a b)
              (:init (handempty) (ontable a) (ontable b) (clear a) (clear b))
              (:goal (and (on a b) (on b a))))
            """;

        var result = await Cli.RunAsync(["run", "--domain", ws.Write("d.pddl", TestPddl.Blocksworld), "--problem", ws.Write("p.pddl", impossible), "--json", "--data-dir", ws.DataDir]);

        Assert.Equal(1, result.ExitCode);
        var json = result.Json();
        Assert.Equal("Failed", json.GetProperty("status").GetString());
        Assert.False(json.GetProperty("goalReached").GetBoolean());
        Assert.Equal(0, json.GetProperty("stepsExecuted").GetInt32());
        Assert.False(string.IsNullOrEmpty(json.GetProperty("reason").GetString()));
    }

    [Fact]
    public async Task Demo_runs_the_bundled_mission()
    {
        using var ws = new Workspace();
        var result = await Cli.RunAsync(["demo", "--json", "--data-dir", ws.DataDir]);

        Assert.True(result.ExitCode == 0, result.StdErr);
        Assert.True(result.Json().GetProperty("goalReached").GetBoolean());
    }

    [Fact]
    public async Task Memory_search_after_demo_finds_the_demo_missions_episode()
    {
        using var ws = new Workspace();
        var demo = await Cli.RunAsync(["demo", "--json", "--data-dir", ws.DataDir]);
        Assert.True(demo.ExitCode == 0, demo.StdErr);
        var missionId = demo.Json().GetProperty("missionId").GetString();

        var search = await Cli.RunAsync(["memory", "search", "tower", "--json", "--data-dir", ws.DataDir]);

        Assert.True(search.ExitCode == 0, search.StdErr);
        var entries = search.Json().GetProperty("hits").EnumerateArray().Select(h => h.GetProperty("entry")).ToList();
        var episode = Assert.Single(entries, e => e.GetProperty("tags").TryGetProperty("kind", out var kind) && kind.GetString() == "mission");
        Assert.Equal("Episodic", episode.GetProperty("type").GetString());
        Assert.Equal(missionId, episode.GetProperty("tags").GetProperty("missionId").GetString());
        Assert.Contains("tower", episode.GetProperty("text").GetString(), StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>
    /// Resumes a mission a crash interrupted and checks it reached its goal with every journal entry run once and, by the
    /// plugin's own record, every step's request applied exactly once. Returns the journal.
    /// </summary>
    internal static async Task<List<JsonElement>> ResumeToSuccessRunningEachStepOnceAsync(Workspace ws, string missionId)
    {
        var resumed = await Cli.RunAsync(["missions", "resume", missionId, "--json", "--data-dir", ws.DataDir]);
        Assert.True(resumed.ExitCode == 0, resumed.StdErr);
        var result = resumed.Json();
        Assert.Equal("Succeeded", result.GetProperty("status").GetString());
        Assert.True(result.GetProperty("goalReached").GetBoolean());
        var planLength = result.GetProperty("plan").GetArrayLength();

        var show = (await Cli.RunAsync(["missions", "show", missionId, "--json", "--data-dir", ws.DataDir])).Json();
        var journal = show.GetProperty("journal").EnumerateArray().ToList();
        Assert.Equal(planLength, journal.Count(e => e.GetProperty("name").GetString() == "ExecuteStepActivity"));
        Assert.All(journal, e => Assert.Equal(1, e.GetProperty("runs").GetInt32()));
        Assert.All(journal, e => Assert.Equal("Completed", e.GetProperty("status").GetString()));
        Assert.Equal(journal.Count, journal.Select(e => e.GetProperty("seq").GetInt32()).Distinct().Count());

        var applied = AppliedRequestIds(ws.DataDir, result.GetProperty("environmentId").GetString()!);
        Assert.Equal(planLength, applied.Count);
        Assert.Equal(applied.Count, applied.Distinct().Count());
        return journal;
    }

    internal static List<string> AppliedRequestIds(string dataDir, string environmentId)
    {
        using var connection = new SqliteConnection($"Data Source={Path.Combine(dataDir, "maximus.db")};Mode=ReadOnly;Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT value FROM state WHERE key = $key";
        command.Parameters.AddWithValue("$key", $"pddl-env:{environmentId}");
        var json = (string)command.ExecuteScalar()!;
        using var doc = JsonDocument.Parse(json);
        return doc.RootElement.GetProperty("appliedRequests").EnumerateArray()
            .Where(r => r.GetProperty("result").GetProperty("outcome").GetString() == "Succeeded")
            .Select(r => r.GetProperty("requestId").GetString()!).ToList();
    }
}
