using Maximus.Contracts;
using Microsoft.AspNetCore.Builder;
using ModelContextProtocol.AspNetCore;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using ModelContextProtocol.Protocol;

namespace Maximus.Mcp.Server;

/// <summary>
/// Maximus as an MCP server (the official C# SDK): the tools over memory, missions, planning and plugins, and the
/// resources (a mission's journal and result, an agent's core memory). The transport is the caller's: stdio for
/// <c>maximus mcp serve</c>, Streamable HTTP (stateless) at <see cref="Route"/> on the host.
/// </summary>
public static class MaximusMcpServerExtensions
{
    /// <summary>Where the host serves MCP over Streamable HTTP.</summary>
    public const string Route = "/mcp";

    /// <summary>The server's name in the MCP handshake.</summary>
    public const string ServerName = "maximus";

    /// <summary>Adds the MCP server with Maximus's tools and resources; add a transport to the builder it returns.</summary>
    /// <param name="plugins">The plugin app ids <c>plugins_list</c> reads the manifests of.</param>
    public static IMcpServerBuilder AddMaximusMcpServer(this IServiceCollection services, IEnumerable<string>? plugins = null)
    {
        services.AddOptions<MaximusMcpOptions>().Configure(o =>
        {
            foreach (var plugin in plugins ?? [AppIds.PddlPlugin])
            {
                if (!o.Plugins.Contains(plugin, StringComparer.Ordinal))
                {
                    o.Plugins.Add(plugin);
                }
            }
        });
        services.TryAddTransient<MaximusApi>();
        return services
            .AddMcpServer(o =>
            {
                o.ServerInfo = new Implementation { Name = ServerName, Version = typeof(MaximusMcpServerExtensions).Assembly.GetName().Version?.ToString(3) ?? "1.0.0" };
                o.ServerInstructions =
                    "Maximus is the cognition layer of an agent: it plans, simulates a plan before acting, executes it through a plugin, " +
                    "reflects on the outcome and remembers. Start with plugins_list or plan_simulate, run a goal with mission_start, and " +
                    "search or extend the agent's memory with memory_search and memory_add.";
            })
            .WithTools<MemoryTools>(McpJson.Options)
            .WithTools<MissionTools>(McpJson.Options)
            .WithTools<PlanningTools>(McpJson.Options)
            .WithTools<PluginTools>(McpJson.Options)
            .WithResources<MaximusResources>()
            .WithRequestFilters(filters => filters.AddCallToolFilter(ToolErrors.Filter));
    }

    /// <summary>Adds the MCP server served over Streamable HTTP without sessions (any replica answers any request).</summary>
    public static IMcpServerBuilder AddMaximusMcpHttpServer(this IServiceCollection services, IEnumerable<string>? plugins = null) =>
        services.AddMaximusMcpServer(plugins).WithHttpTransport(o => o.SessionMode = HttpServerSessionMode.Stateless);

    /// <summary>Maps <see cref="Route"/>: behind the API token like every other route (the middleware runs first).</summary>
    public static IEndpointConventionBuilder MapMaximusMcp(this IEndpointRouteBuilder endpoints) => endpoints.MapMcp(Route);
}

/// <summary>What the MCP server needs to know of the deployment.</summary>
public sealed class MaximusMcpOptions
{
    /// <summary>The plugin app ids whose manifests <c>plugins_list</c> shows.</summary>
    public IList<string> Plugins { get; } = [];
}
