using System.Text.Json;
using Microsoft.Data.Sqlite;

namespace Maximus.Cli.Tests;

/// <summary>
/// Missions journaled by an earlier version of the mission workflow must still resume: the rows in
/// <c>TestData/journal-before-split</c> were written before <c>MissionWorkflow.RunAsync</c> was split into named steps.
/// </summary>
public sealed class JournalCompatibilityTests
{
    private static readonly string[] Tables = ["state", "workflow_instance", "workflow_journal"];

    [Fact]
    public async Task A_mission_journaled_before_the_workflow_was_split_resumes_without_running_a_journaled_step_again()
    {
        using var ws = new Workspace();
        var data = Path.Combine(AppContext.BaseDirectory, "TestData", "journal-before-split");

        // The CLI creates the data directory and its schema; then the old rows go in as they were.
        var empty = await Cli.RunAsync(["missions", "list", "--json", "--data-dir", ws.DataDir]);
        Assert.True(empty.ExitCode == 0, empty.StdErr);
        Assert.Empty(empty.Json().EnumerateArray());
        Load(Path.Combine(ws.DataDir, "maximus.db"), data);

        var old = ReadRows(Path.Combine(data, "workflow_journal.json"));
        var missionId = old[0].GetProperty("instance_id").GetString()!;
        var oldSteps = old.Where(r => r.GetProperty("name").GetString() == "ExecuteStepActivity").ToList();
        Assert.Equal(2, oldSteps.Count);

        var journal = await CliTests.ResumeToSuccessRunningEachStepOnceAsync(ws, missionId);

        // The journaled entries kept their place and kind: the new code replayed them instead of running them.
        foreach (var entry in old)
        {
            var seq = entry.GetProperty("seq").GetInt32();
            var now = Assert.Single(journal, e => e.GetProperty("seq").GetInt32() == seq);
            Assert.Equal(entry.GetProperty("name").GetString(), now.GetProperty("name").GetString());
        }
    }

    private static void Load(string database, string folder)
    {
        using var connection = new SqliteConnection($"Data Source={database};Pooling=False");
        connection.Open();
        using var transaction = connection.BeginTransaction();
        foreach (var table in Tables)
        {
            foreach (var row in ReadRows(Path.Combine(folder, table + ".json")))
            {
                var columns = row.EnumerateObject().Select(p => p.Name).ToList();
                using var insert = connection.CreateCommand();
                insert.Transaction = transaction;
                insert.CommandText = $"INSERT OR REPLACE INTO {table} ({string.Join(", ", columns)}) VALUES ({string.Join(", ", columns.Select(c => "$" + c))})";
                foreach (var column in row.EnumerateObject())
                {
                    insert.Parameters.AddWithValue("$" + column.Name, column.Value.ValueKind switch
                    {
                        JsonValueKind.Null => DBNull.Value,
                        JsonValueKind.Number => column.Value.GetInt64(),
                        _ => column.Value.GetString()!,
                    });
                }

                insert.ExecuteNonQuery();
            }
        }

        transaction.Commit();
    }

    private static List<JsonElement> ReadRows(string path)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(path));
        return doc.RootElement.EnumerateArray().Select(e => e.Clone()).ToList();
    }
}
