namespace Maximus.Mcp.Tests;

/// <summary>
/// Both directions at once: an MCP server bridged in as a plugin (the reference <c>@modelcontextprotocol/server-memory</c>
/// behind the <c>mcp-bridge</c> role) and Maximus's own <c>plugins_list</c> tool over <c>/mcp</c>, which shows the bridged
/// server's tools as actions.
/// </summary>
public sealed class BridgedPluginsListTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Plugins_list_shows_the_bridged_servers_tools_as_actions()
    {
        var node = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(dir => Path.Combine(dir, "node")).FirstOrDefault(File.Exists);
        var peers = Environment.GetEnvironmentVariable("MAXIMUS_MCP_PEERS") is { Length: > 0 } folder
            ? folder
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache", "maximus", "mcp-peers");
        var script = Path.Combine(peers, "node_modules", "@modelcontextprotocol", "server-memory", "dist", "index.js");
        if (node is null || !File.Exists(script))
        {
            Assert.Skip($"node and @modelcontextprotocol/server-memory in {peers} are needed (.ci/run installs them with npm).");
        }

        using var host = new McpHost(new Dictionary<string, string>
        {
            ["Maximus:Plugins:Mcp:memory:Command"] = node,
            ["Maximus:Plugins:Mcp:memory:Args:0"] = script,
            ["Maximus:Plugins:Mcp:memory:Env:MEMORY_FILE_PATH"] = Path.Combine(Path.GetTempPath(), $"graph-{Guid.NewGuid():N}.jsonl"),
        });
        await using var client = await host.ConnectAsync();

        var list = (await client.CallToolAsync("plugins_list", new Dictionary<string, object?> { ["context"] = "memory" }, cancellationToken: Ct)).Structured();

        var bridge = Assert.Single(list.GetProperty("plugins").EnumerateArray(), p => p.GetProperty("appId").GetString() == "mcp-bridge");
        var actions = bridge.GetProperty("manifest").GetProperty("actions").EnumerateArray().Select(a => a.GetProperty("name").GetString()).ToList();
        Assert.Contains("create_entities", actions);
        Assert.Contains("add_observations", actions);
        Assert.Contains("read_graph", actions);
    }
}
