using System.Text.RegularExpressions;

namespace Maximus.Contracts;

/// <summary>
/// Dapr app ids (one per role of <c>Maximus.Host</c>). They match <c>dapr.yaml</c>, the <c>scopes</c> of
/// <c>components/*/</c> and the manifests under <c>k8s/</c>; component names are in <see cref="Components"/>,
/// topics in <see cref="Topics"/>.
/// </summary>
public static partial class AppIds
{
    public const string Reflector = "reflector";
    public const string Memory = "memory";
    public const string Planner = "planner";
    public const string Executor = "executor";
    public const string Orchestrator = "orchestrator";

    /// <summary>The example PDDL environment plugin (Blocksworld, Logistics, any STRIPS domain).</summary>
    public const string PddlPlugin = "pddl-env";

    /// <summary>The MCP bridge plugin: every configured MCP server (<c>Maximus:Plugins:Mcp:&lt;name&gt;</c>) as contract v1, the context naming the server.</summary>
    public const string McpBridge = "mcp-bridge";

    public static IReadOnlyList<string> Services { get; } = [Reflector, Memory, Planner, Executor, Orchestrator];

    /// <summary>Whether <paramref name="appId"/> is a Dapr app id: 1 to 64 lower-case letters, digits and inner '-'.</summary>
    public static bool IsValid(string? appId) => appId is not null && AppIdPattern().IsMatch(appId);

    [GeneratedRegex("^[a-z0-9]([a-z0-9-]{0,62}[a-z0-9])?$")]
    private static partial Regex AppIdPattern();
}
