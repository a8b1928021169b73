using System.Text.RegularExpressions;
using Maximus.Contracts;
using Maximus.Contracts.Ports;
using Maximus.Memory.Actors;

namespace Maximus.Memory.Apis;

/// <summary>Core memory: read all blocks, replace one block.</summary>
public static partial class CoreMemoryApi
{
    public const string ActorType = nameof(CoreMemoryActor);

    public sealed record ReplaceBlockRequest(string Text);

    public static IEnumerable<ServiceOperation> Operations { get; } =
    [
        ServiceOperation.Get(AppIds.Memory, "v1/memory/{agentId}/core", call =>
        {
            var agentId = call.Route("agentId");
            EpisodicMemoryStore.ValidateAgent(agentId);
            return call.GetService<IActorInvoker>().InvokeAsync<ICoreMemoryActor, CoreMemory>(ActorType, agentId, a => a.GetAsync());
        }),
        ServiceOperation.Post<ReplaceBlockRequest, CoreBlock>(AppIds.Memory, "v1/memory/{agentId}/core/{block}", (request, call) =>
        {
            var agentId = call.Route("agentId");
            var block = call.Route("block");
            EpisodicMemoryStore.ValidateAgent(agentId);
            if (!BlockName().IsMatch(block))
            {
                throw ProblemException.Invalid("block", "must be 1 to 64 letters, digits, '.', '_' or '-' (e.g. persona, human).");
            }

            if (request.Text is null || request.Text.Length > CoreMemoryActor.MaxBlockChars)
            {
                throw ProblemException.Invalid("text", $"is required and at most {CoreMemoryActor.MaxBlockChars} characters.");
            }

            return call.GetService<IActorInvoker>().InvokeAsync<ICoreMemoryActor, CoreBlock>(
                ActorType, agentId, a => a.ReplaceAsync(new CoreBlock(block, request.Text, DateTimeOffset.MinValue, 0)));
        }),
    ];

    [GeneratedRegex("^[A-Za-z0-9._-]{1,64}$")]
    private static partial Regex BlockName();
}
