using Dapr.Actors;
using Dapr.Actors.Runtime;

namespace Maximus.Memory.Actors;

/// <summary>A named block of core memory (MIRIX): always in the prompt, read and replaced whole, never expires.</summary>
public sealed record CoreBlock(string Name, string Text, DateTimeOffset UpdatedAt, int Version);

public sealed record CoreMemory(string AgentId, IReadOnlyList<CoreBlock> Blocks);

/// <summary>One agent's core memory blocks (persona, user facts, …); writes are serialised per agent.</summary>
public interface ICoreMemoryActor : IActor
{
    Task<CoreMemory> GetAsync();

    Task<CoreBlock> ReplaceAsync(CoreBlock block);
}

public sealed class CoreMemoryActor : Actor, ICoreMemoryActor
{
    public const string BlocksKey = "blocks";

    /// <summary>Core memory is always in the prompt, so it stays small.</summary>
    public const int MaxBlockChars = 8_000;

    public const int MaxBlocks = 16;

    private readonly TimeProvider _time;

    public CoreMemoryActor(ActorHost host, TimeProvider time, IActorStateManager? stateManager = null)
        : base(host)
    {
        _time = time;
        if (stateManager is not null)
        {
            StateManager = stateManager;
        }
    }

    public async Task<CoreMemory> GetAsync() => new(Id.GetId(), (await LoadAsync().ConfigureAwait(false)).OrderBy(b => b.Name, StringComparer.Ordinal).ToList());

    public async Task<CoreBlock> ReplaceAsync(CoreBlock block)
    {
        var blocks = await LoadAsync().ConfigureAwait(false);
        var existing = blocks.Find(b => b.Name == block.Name);
        if (existing is null && blocks.Count >= MaxBlocks)
        {
            throw new InvalidOperationException($"Core memory holds at most {MaxBlocks} blocks.");
        }

        var stored = block with { UpdatedAt = _time.GetUtcNow(), Version = (existing?.Version ?? 0) + 1 };
        blocks.RemoveAll(b => b.Name == block.Name);
        blocks.Add(stored);
        await StateManager.SetStateAsync(BlocksKey, blocks).ConfigureAwait(false);
        return stored;
    }

    private async Task<List<CoreBlock>> LoadAsync() =>
        (await StateManager.TryGetStateAsync<List<CoreBlock>>(BlocksKey).ConfigureAwait(false)) is { HasValue: true } found ? found.Value : [];
}
