using System.ComponentModel;
using Maximus.Runtime.Embedded.Workflows;
using Microsoft.Extensions.DependencyInjection;
using ModelContextProtocol.Protocol;
using ModelContextProtocol.Server;

namespace Maximus.Mcp.Server;

/// <summary>
/// Resources: a mission (its result and, on the embedded runtime, its workflow journal) and an agent's core memory
/// blocks, as JSON.
/// </summary>
[McpServerResourceType]
internal sealed class MaximusResources(MaximusApi api, IServiceProvider services)
{
    public const string MissionTemplate = "maximus://missions/{missionId}";
    public const string CoreMemoryTemplate = "maximus://agents/{agentId}/core";

    public static string MissionUri(string missionId) => $"maximus://missions/{Uri.EscapeDataString(missionId)}";

    [McpServerResource(UriTemplate = MissionTemplate, Name = "mission", MimeType = "application/json")]
    [Description(
        "A mission: its request, status, progress and result (plan, phases, lessons, recalled memories), and its workflow " +
        "journal (each activity with its status, runs and times) when Maximus runs on the embedded runtime.")]
    public async Task<TextResourceContents> MissionAsync(string missionId, CancellationToken cancellationToken)
    {
        var view = await api.GetMissionAsync(missionId, cancellationToken).ConfigureAwait(false);
        var journal = services.GetService<WorkflowJournal>()?.LoadEntries(missionId) ?? [];
        var body = new
        {
            mission = view,
            journal = journal.Select(e => new { e.Generation, e.Seq, e.Kind, e.Name, status = e.Status.ToString(), e.Runs, e.StartedAt, e.CompletedAt, e.Error }),
        };
        return new TextResourceContents { Uri = MissionUri(missionId), MimeType = "application/json", Text = McpJson.Serialize(body) };
    }

    [McpServerResource(UriTemplate = CoreMemoryTemplate, Name = "core-memory", MimeType = "application/json")]
    [Description("An agent's core memory: the always-in-context blocks (persona, human, ...) with their versions. Change one with memory_add type core.")]
    public async Task<TextResourceContents> CoreMemoryAsync(string agentId, CancellationToken cancellationToken)
    {
        var core = await api.GetCoreMemoryAsync(agentId, cancellationToken).ConfigureAwait(false);
        return new TextResourceContents { Uri = $"maximus://agents/{Uri.EscapeDataString(agentId)}/core", MimeType = "application/json", Text = McpJson.Serialize(core) };
    }
}
