using Maximus.Memory.Vectors.Embedded;

namespace Maximus.Cli.Tests;

/// <summary><c>maximus doctor</c> on a healthy data directory and on one with a corrupt SQLite file, and the CLI on that file.</summary>
public sealed class DoctorTests
{
    [Fact]
    public async Task Doctor_reports_a_healthy_data_directory_with_exit_code_0()
    {
        using var ws = new Workspace();
        using (new EmbeddedVectorStore(new EmbeddedVectorStoreOptions { DataDirectory = ws.DataDir }))
        {
            // Creates vectors.db with its schema.
        }

        var result = await Cli.RunAsync(["doctor", "--data-dir", ws.DataDir, "--json"]);

        Assert.True(result.ExitCode == 0, result.StdOut + result.StdErr);
        var report = result.Json();
        Assert.True(report.GetProperty("healthy").GetBoolean());
        var file = Assert.Single(report.GetProperty("files").EnumerateArray());
        Assert.Equal(Path.Combine(ws.DataDir, "vectors.db"), file.GetProperty("path").GetString());
        Assert.Equal("ok", file.GetProperty("integrity").GetString());
        Assert.True(file.GetProperty("schemaVersion").GetInt64() > 0);
        Assert.True(report.GetProperty("freeBytes").GetInt64() > 0);
        var prepared = report.GetProperty("prepared").EnumerateArray().ToDictionary(p => p.GetProperty("file").GetString()!, p => p.GetProperty("present").GetBoolean());
        Assert.True(prepared["vectors.db"]);
        Assert.False(prepared["maximus.db"]);
    }

    [Fact]
    public async Task Doctor_names_a_corrupt_file_with_exit_code_1_and_the_CLI_refuses_to_run_on_it_with_exit_code_4()
    {
        using var ws = new Workspace();
        Directory.CreateDirectory(ws.DataDir);
        var state = Path.Combine(ws.DataDir, "maximus.db");
        await File.WriteAllTextAsync(state, string.Concat(Enumerable.Repeat("not a database at all. ", 300)), TestContext.Current.CancellationToken);

        var doctor = await Cli.RunAsync(["doctor", "--data-dir", ws.DataDir]);
        var json = await Cli.RunAsync(["doctor", "--data-dir", ws.DataDir, "--json"]);
        var run = await Cli.RunAsync(["missions", "list", "--data-dir", ws.DataDir]);

        Assert.Equal(1, doctor.ExitCode);
        Assert.Contains($"problem: {state} is not a SQLite database", doctor.StdErr, StringComparison.Ordinal);
        Assert.False(json.Json().GetProperty("healthy").GetBoolean());
        Assert.Contains("is not a SQLite database", json.Json().GetProperty("files")[0].GetProperty("problem").GetString(), StringComparison.Ordinal);
        Assert.Equal(4, run.ExitCode);
        Assert.StartsWith($"error: The SQLite file {state} is not a SQLite database", run.StdErr.Trim().Split('\n')[^1], StringComparison.Ordinal);
    }
}
