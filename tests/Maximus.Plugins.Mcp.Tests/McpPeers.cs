namespace Maximus.Plugins.Mcp.Tests;

/// <summary>
/// The reference MCP servers the tests run behind the bridge, installed by <c>.ci/run</c> with npm into
/// <c>MAXIMUS_MCP_PEERS</c> (default <c>~/.cache/maximus/mcp-peers</c>). Tests skip, saying why, when node or a package is missing.
/// </summary>
internal static class McpPeers
{
    public static string Folder =>
        Environment.GetEnvironmentVariable("MAXIMUS_MCP_PEERS") is { Length: > 0 } folder
            ? folder
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache", "maximus", "mcp-peers");

    /// <summary>The node executable; skips the test when there is none.</summary>
    public static string Node()
    {
        var node = (Environment.GetEnvironmentVariable("PATH") ?? "")
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(dir => Path.Combine(dir, OperatingSystem.IsWindows() ? "node.exe" : "node"))
            .FirstOrDefault(File.Exists);
        if (node is null)
        {
            Assert.Skip("node is not installed: the MCP reference servers cannot run (.ci/run installs them with npm when it is there).");
        }

        return node;
    }

    /// <summary>The entry script of <c>@modelcontextprotocol/&lt;package&gt;</c>; skips the test when it is not installed.</summary>
    public static string Script(string package)
    {
        var script = Path.Combine(Folder, "node_modules", "@modelcontextprotocol", package, "dist", "index.js");
        if (!File.Exists(script))
        {
            Assert.Skip($"@modelcontextprotocol/{package} is not installed in {Folder} (.ci/run installs it: npm install --prefix {Folder} @modelcontextprotocol/{package}).");
        }

        return script;
    }
}
