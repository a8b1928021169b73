using System.ComponentModel;
using System.Text.Json.Serialization;
using Maximus.Contracts.Memory;
using Maximus.Memory.Apis;
using ModelContextProtocol.Server;

namespace Maximus.Mcp.Server;

/// <summary>The memory types a client may write: every type but the vault (secrets are written by their owner, not by a model).</summary>
[JsonConverter(typeof(JsonStringEnumConverter<WritableMemoryType>))]
public enum WritableMemoryType
{
    [JsonStringEnumMemberName("episodic")]
    Episodic,

    [JsonStringEnumMemberName("semantic")]
    Semantic,

    [JsonStringEnumMemberName("procedural")]
    Procedural,

    [JsonStringEnumMemberName("resource")]
    Resource,

    [JsonStringEnumMemberName("core")]
    Core,
}

/// <summary>The memory types a search covers (core blocks are a resource; the vault is never searched).</summary>
[JsonConverter(typeof(JsonStringEnumConverter<SearchableMemoryType>))]
public enum SearchableMemoryType
{
    [JsonStringEnumMemberName("episodic")]
    Episodic,

    [JsonStringEnumMemberName("semantic")]
    Semantic,

    [JsonStringEnumMemberName("procedural")]
    Procedural,

    [JsonStringEnumMemberName("resource")]
    Resource,
}

/// <summary>What <c>memory_add</c> wrote: a searchable entry, or a core block.</summary>
public sealed record MemoryAdded(string Type, MemoryEntry? Entry = null, Maximus.Memory.Actors.CoreBlock? CoreBlock = null);

/// <summary><c>memory_search</c>, <c>memory_add</c>, <c>memory_forget</c>: an agent's long-term memory (MIRIX types).</summary>
[McpServerToolType]
internal sealed class MemoryTools(MaximusApi api)
{
    private const string AgentDescription = "The agent whose memory this is (default: \"default\", the agent missions use unless told otherwise).";

    [McpServerTool(Name = "memory_search", ReadOnly = true, Idempotent = true, OpenWorld = false, UseStructuredContent = true)]
    [Description(
        "Searches an agent's long-term memory by meaning and returns the best hits, ranked across memory types: episodic " +
        "(what happened, recent first), semantic (facts subject-predicate-object, with their neighbours), procedural (how a " +
        "goal was reached before, by track record) and resource (document chunks). Use it before planning to recall what " +
        "worked, or to answer a question from what the agent knows.")]
    public Task<SearchMemoryResponse> SearchAsync(
        [Description("What to look for, in natural language (e.g. \"how did we stack blocks last time\").")] string query,
        [Description(AgentDescription)] string agentId = "default",
        [Description("Only these memory types; omit to search every type.")] SearchableMemoryType[]? types = null,
        [Description("How many hits, from 1 to 100.")] int k = 10,
        [Description("Also search by the query's topic (MIRIX active retrieval): wider recall, a little slower.")] bool active = false,
        CancellationToken cancellationToken = default)
    {
        if (string.IsNullOrWhiteSpace(query))
        {
            throw ToolErrors.Invalid("query", "must not be empty.");
        }

        if (k is < 1 or > 100)
        {
            throw ToolErrors.Invalid("k", "must be from 1 to 100.");
        }

        IReadOnlyList<MemoryType>? wanted = types is { Length: > 0 } ? [.. types.Select(t => Enum.Parse<MemoryType>(t.ToString()))] : null;
        return api.SearchMemoryAsync(agentId, new SearchMemoryRequest(query, wanted, k, Active: active), cancellationToken);
    }

    [McpServerTool(Name = "memory_add", Destructive = false, OpenWorld = false, UseStructuredContent = true)]
    [Description(
        "Writes one memory for an agent. type episodic: an event (text says what happened; actor and outcome optional). " +
        "semantic: a fact, given as subject, predicate and object (text is its readable form). procedural: how to reach a " +
        "goal (goalPattern and the steps in order). resource: a chunk of a document (source names where it comes from). " +
        "core: replaces a whole always-in-context block (block names it, e.g. persona or human; text is the new content). " +
        "Secrets (the vault) cannot be written here.")]
    public async Task<MemoryAdded> AddAsync(
        [Description("episodic, semantic, procedural, resource or core.")] WritableMemoryType type,
        [Description("The memory itself, in plain words. For core: the block's full new text.")] string text,
        [Description(AgentDescription)] string agentId = "default",
        [Description("semantic: the fact's subject (e.g. \"block a\").")] string? subject = null,
        [Description("semantic: the fact's predicate (e.g. \"is on\").")] string? predicate = null,
        [Description("semantic: the fact's object (e.g. \"block b\").")] string? @object = null,
        [Description("procedural: the goal the procedure reaches (e.g. \"(on a b)\").")] string? goalPattern = null,
        [Description("procedural: the steps in order (e.g. [\"(unstack c a)\", \"(stack a b)\"]); default: the text as one step.")] string[]? steps = null,
        [Description("resource: where the text comes from (a file, a URL, a title).")] string? source = null,
        [Description("core: the block to replace (letters, digits, '.', '_' or '-'; e.g. persona, human).")] string? block = null,
        [Description("episodic: who acted (e.g. user, agent).")] string? actor = null,
        [Description("episodic: how it ended (e.g. succeeded, failed).")] string? outcome = null,
        [Description("Labels to filter searches by later, e.g. {\"project\": \"demo\"}.")] Dictionary<string, string>? tags = null,
        CancellationToken cancellationToken = default)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            throw ToolErrors.Invalid("text", "must not be empty.");
        }

        switch (type)
        {
            case WritableMemoryType.Core:
                if (string.IsNullOrWhiteSpace(block))
                {
                    throw ToolErrors.Invalid("block", "is required for a core memory (e.g. persona or human).");
                }

                return new MemoryAdded("core", CoreBlock: await api.ReplaceCoreBlockAsync(agentId, block, text, cancellationToken).ConfigureAwait(false));
            case WritableMemoryType.Semantic when string.IsNullOrWhiteSpace(subject) || string.IsNullOrWhiteSpace(predicate) || string.IsNullOrWhiteSpace(@object):
                throw ToolErrors.Invalid("subject, predicate, object", "are all required for a semantic memory (a fact).");
            case WritableMemoryType.Procedural when string.IsNullOrWhiteSpace(goalPattern):
                throw ToolErrors.Invalid("goalPattern", "is required for a procedural memory.");
            case WritableMemoryType.Resource when string.IsNullOrWhiteSpace(source):
                throw ToolErrors.Invalid("source", "is required for a resource memory.");
        }

        var request = new WriteMemoryRequest(
            Enum.Parse<MemoryType>(type.ToString()),
            text,
            Tags: tags,
            Actor: type == WritableMemoryType.Episodic ? actor : null,
            Outcome: type == WritableMemoryType.Episodic ? outcome : null,
            Fact: type == WritableMemoryType.Semantic ? new SemanticFact(subject!, predicate!, @object!) : null,
            Procedure: type == WritableMemoryType.Procedural ? new Procedure(goalPattern!, steps is { Length: > 0 } ? steps : [text]) : null,
            Resource: type == WritableMemoryType.Resource ? new ResourceChunk(source!) : null);
        var entry = await api.WriteMemoryAsync(agentId, request, cancellationToken).ConfigureAwait(false);
        return new MemoryAdded(type.ToString().ToLowerInvariant(), Entry: entry);
    }

    [McpServerTool(Name = "memory_forget", Destructive = true, Idempotent = true, OpenWorld = false, UseStructuredContent = true)]
    [Description(
        "Forgets one memory entry for good, by the id memory_search or memory_add returned. removed is false when there " +
        "was nothing with that id. To correct a fact rather than erase it, add the new fact instead.")]
    public Task<AgentMemoryApi.Forgotten> ForgetAsync(
        [Description("The entry's id (from memory_search or memory_add).")] string id,
        [Description(AgentDescription)] string agentId = "default",
        CancellationToken cancellationToken = default)
    {
        if (string.IsNullOrWhiteSpace(id))
        {
            throw ToolErrors.Invalid("id", "must not be empty.");
        }

        return api.ForgetAsync(agentId, id, cancellationToken);
    }
}
