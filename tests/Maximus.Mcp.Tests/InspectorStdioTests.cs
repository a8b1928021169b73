using System.Diagnostics;
using System.Reflection;
using System.Text.Json;

namespace Maximus.Mcp.Tests;

/// <summary>
/// The official MCP Inspector (<c>@modelcontextprotocol/inspector</c>, CLI mode) as a real client of
/// <c>maximus mcp serve</c> over stdio. <c>.ci/run</c> installs it into <c>.ci/node_modules</c>; without Node.js or the
/// package these tests skip and say how to install it.
/// </summary>
public sealed class InspectorStdioTests : IDisposable
{
    private static readonly string CliPath = Path.GetFullPath(Metadata("MaximusCliPath"));
    private static readonly string RepositoryRoot = Path.GetFullPath(Metadata("RepositoryRoot"));

    private readonly string _dataDirectory = Path.Combine(Path.GetTempPath(), "maximus-mcp-inspector-tests", Guid.NewGuid().ToString("N"));

    [Fact]
    public async Task Tools_list_shows_every_tool_with_its_schema()
    {
        var output = await InspectAsync(["--method", "tools/list"]);

        var tools = output.GetProperty("tools").EnumerateArray().ToDictionary(t => t.GetProperty("name").GetString()!);
        foreach (var name in new[] { "memory_search", "memory_add", "memory_forget", "mission_start", "mission_status", "mission_approve", "plan_simulate", "plugins_list" })
        {
            Assert.True(tools.TryGetValue(name, out var tool), $"tools/list lacks {name}");
            Assert.Equal("object", tool.GetProperty("inputSchema").GetProperty("type").GetString());
        }

        Assert.True(tools["mission_start"].GetProperty("inputSchema").GetProperty("properties").TryGetProperty("domain", out _));
    }

    [Fact]
    public async Task Mission_start_on_the_sample_blocksworld_reaches_the_goal_with_logs_kept_off_stdout()
    {
        var domain = Results.Sample("blocksworld-domain.pddl");
        var problem = Results.Sample("blocksworld-problem.pddl");

        // --verbose: the services log at Information, all of it to stderr; a stray line on stdout would break the protocol.
        var output = await InspectAsync(
            ["--method", "tools/call", "--tool-name", "mission_start", "--tool-arg", $"domain={domain}", "--tool-arg", $"problem={problem}"],
            verbose: true);

        var outcome = output.GetProperty("structuredContent");
        Assert.True(outcome.GetProperty("goalReached").GetBoolean(), output.ToString());
        Assert.Equal("Succeeded", outcome.GetProperty("status").GetString());
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(_dataDirectory, recursive: true);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // A leftover temp folder changes no test's outcome.
        }
    }

    private async Task<JsonElement> InspectAsync(IReadOnlyList<string> method, bool verbose = false)
    {
        var inspector = FindInspector();
        var start = new ProcessStartInfo(inspector.Node)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in (IEnumerable<string>)[inspector.Script, "--cli", "dotnet", CliPath, "mcp", "serve", "--data-dir", _dataDirectory, .. verbose ? ["--verbose"] : Array.Empty<string>(), .. method])
        {
            start.ArgumentList.Add(arg);
        }

        start.Environment["DOTNET_NOLOGO"] = "1";
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        timeout.CancelAfter(TimeSpan.FromMinutes(3));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }

        var text = await stdout;
        Assert.True(process.ExitCode == 0, $"mcp-inspector exited with {process.ExitCode}: {text}\n{await stderr}");
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    /// <summary>Node.js and the inspector's CLI script, or a skip that says what is missing.</summary>
    private static (string Node, string Script) FindInspector()
    {
        var node = Environment.GetEnvironmentVariable("PATH")?.Split(Path.PathSeparator)
            .Select(dir => Path.Combine(dir, OperatingSystem.IsWindows() ? "node.exe" : "node"))
            .FirstOrDefault(File.Exists);
        if (node is null)
        {
            Assert.Skip("Node.js is not installed: the MCP Inspector (npm @modelcontextprotocol/inspector) cannot run.");
        }

        var package = Environment.GetEnvironmentVariable("MCP_INSPECTOR_DIR")
            ?? Path.Combine(RepositoryRoot, ".ci", "node_modules", "@modelcontextprotocol", "inspector");
        var script = Path.Combine(package, "cli", "build", "cli.js");
        if (!File.Exists(script))
        {
            Assert.Skip($"The MCP Inspector is not installed at {package}: run .ci/run, or `npm install --prefix .ci --no-save @modelcontextprotocol/inspector`.");
        }

        return (node!, script);
    }

    private static string Metadata(string key) =>
        typeof(InspectorStdioTests).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == key).Value!;
}
