using System.ComponentModel;
using Maximus.Contracts.Plugins;
using Microsoft.Extensions.Options;
using ModelContextProtocol;
using ModelContextProtocol.Server;

namespace Maximus.Mcp.Server;

/// <summary>A plugin as <c>plugins_list</c> shows it: its manifest, or why it could not be read.</summary>
public sealed record PluginListing(string AppId, PluginManifest? Manifest, string? Error = null);

/// <summary>What <c>plugins_list</c> returns.</summary>
public sealed record PluginList(IReadOnlyList<PluginListing> Plugins);

/// <summary><c>plugins_list</c>: what Maximus can act through.</summary>
[McpServerToolType]
internal sealed class PluginTools(MaximusApi api, IOptions<MaximusMcpOptions> options)
{
    [McpServerTool(Name = "plugins_list", ReadOnly = true, Idempotent = true, OpenWorld = false, UseStructuredContent = true)]
    [Description(
        "Lists the plugins missions can act through, with each one's manifest: name, version, description and actions " +
        "(parameters, preconditions, effects, and which are risky and need mission_approve). A plugin whose actions " +
        "depend on a context (e.g. pddl-env: one environment per problem) lists them when given that context.")]
    public async Task<PluginList> ListAsync(
        [Description("A context to read the manifests in, e.g. a PDDL environment id; omit for the plugins' general manifests.")] string? context = null,
        CancellationToken cancellationToken = default)
    {
        var listings = new List<PluginListing>();
        foreach (var appId in options.Value.Plugins)
        {
            try
            {
                listings.Add(new PluginListing(appId, await api.GetManifestAsync(appId, context, cancellationToken).ConfigureAwait(false)));
            }
            catch (McpException ex)
            {
                listings.Add(new PluginListing(appId, null, ex.Message));
            }
        }

        return new PluginList(listings);
    }
}
