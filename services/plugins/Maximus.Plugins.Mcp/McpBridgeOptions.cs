using System.ComponentModel.DataAnnotations;
using Maximus.Contracts.Plugins;

namespace Maximus.Plugins.Mcp;

/// <summary>
/// The MCP servers the <c>mcp-bridge</c> plugin serves, by name (<c>Maximus:Plugins:Mcp:&lt;name&gt;</c>). The name is the
/// plugin contract's <c>context</c>: <c>GET plugin/manifest?context=memory</c> lists the tools of server <c>memory</c>.
/// </summary>
public sealed class McpBridgeOptions
{
    /// <summary>The configuration section: <c>Maximus:Plugins</c>, whose <c>Mcp</c> child names the servers.</summary>
    public const string Section = "Maximus:Plugins";

    public Dictionary<string, McpServerSettings> Mcp { get; set; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>The problems of the configuration, each naming the server and the setting; empty when it is valid.</summary>
    public IReadOnlyList<string> Problems() => Mcp
        .SelectMany(kv => kv.Value.Problems().Select(p => $"Maximus:Plugins:Mcp:{kv.Key}: {p}"))
        .ToList();
}

/// <summary>One MCP server: <see cref="Command"/> and <see cref="Args"/> (stdio) or <see cref="Url"/> (Streamable HTTP).</summary>
public sealed class McpServerSettings
{
    public const int DefaultCallTimeoutSeconds = 60;
    public const int DefaultConnectTimeoutSeconds = 30;

    /// <summary>The program that serves MCP on its standard input and output (stdio transport), e.g. <c>npx</c>.</summary>
    public string? Command { get; set; }

    public List<string> Args { get; set; } = [];

    /// <summary>Environment variables of the server's process (stdio only), e.g. <c>MEMORY_FILE_PATH</c>.</summary>
    public Dictionary<string, string> Env { get; set; } = new(StringComparer.Ordinal);

    /// <summary>The server's working directory (stdio only); default: the host's.</summary>
    public string? WorkingDirectory { get; set; }

    /// <summary>The server's endpoint (Streamable HTTP transport), e.g. <c>http://localhost:3001/mcp</c>.</summary>
    public string? Url { get; set; }

    /// <summary>
    /// How long a tool call may go without an answer or a progress notification before it fails (each progress
    /// notification restarts the clock, so a slow tool that reports progress is not cut off).
    /// </summary>
    [Range(1, 86_400)]
    public int CallTimeoutSeconds { get; set; } = DefaultCallTimeoutSeconds;

    /// <summary>How long starting the server and the MCP handshake may take.</summary>
    [Range(1, 3_600)]
    public int ConnectTimeoutSeconds { get; set; } = DefaultConnectTimeoutSeconds;

    /// <summary>
    /// A JSON side file (<see cref="McpSemantics"/>) declaring preconditions, effects and riskiness per tool; relative paths
    /// are resolved against the working directory of the host.
    /// </summary>
    public string? Semantics { get; set; }

    /// <summary>Per-tool override of <c>risky</c> (otherwise from the side file, else from the tool's annotations).</summary>
    public Dictionary<string, bool> Risky { get; set; } = new(StringComparer.Ordinal);

    public IReadOnlyList<string> Problems()
    {
        var problems = new List<string>();
        var hasCommand = !string.IsNullOrWhiteSpace(Command);
        var hasUrl = !string.IsNullOrWhiteSpace(Url);
        if (hasCommand == hasUrl)
        {
            problems.Add("set either Command (with Args) for a stdio server or Url for a Streamable HTTP server.");
        }

        if (hasUrl && (!Uri.TryCreate(Url, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps)))
        {
            problems.Add($"Url '{Url}' is not an absolute http(s) address.");
        }

        if (CallTimeoutSeconds < 1 || ConnectTimeoutSeconds < 1)
        {
            problems.Add("CallTimeoutSeconds and ConnectTimeoutSeconds must be at least 1.");
        }

        return problems;
    }
}

/// <summary>
/// The side file of a server: the declared world the bridge starts from (<see cref="Objects"/>, <see cref="Facts"/>) and,
/// per tool, STRIPS preconditions and effects over its parameters (<c>?name</c>) so the contract world model can simulate
/// a plan exactly. A succeeded call applies the tool's declared effects to the bridge's state; tools declared here are
/// simulated exactly, the others by the empirical (and, with a model, the LLM) world model.
/// </summary>
public sealed record McpSemantics(
    IReadOnlyList<PluginObject>? Objects = null,
    IReadOnlyList<ContractLiteral>? Facts = null,
    IReadOnlyDictionary<string, McpToolSemantics>? Tools = null);

/// <summary>What one tool requires and changes, and whether it is risky (overrides the tool's annotations).</summary>
public sealed record McpToolSemantics(
    IReadOnlyList<ContractLiteral>? Preconditions = null,
    IReadOnlyList<ContractLiteral>? Effects = null,
    bool? Risky = null);
