using System.CommandLine;
using Maximus.Cli;
using Maximus.Contracts;
using Maximus.Contracts.Memory;
using Maximus.Contracts.Ports;
using Maximus.Memory.Apis;
using Maximus.Memory.Mirix;
using Microsoft.Extensions.DependencyInjection;
using Spectre.Console;

namespace Maximus.Cli.Commands;

internal static class MemoryCommands
{
    public static Command Create(Option<string> dataDir, Option<string> runtime, Option<bool> verbose)
    {
        var memory = new Command("memory", "Look into an agent's memory.");
        var agent = new Option<string>("--agent") { Description = "The agent.", DefaultValueFactory = _ => "default" };
        var limit = new Option<int>("--limit") { Description = "How many, newest first.", DefaultValueFactory = _ => 20 };
        var json = new Option<bool>("--json") { Description = "Print JSON." };
        var list = new Command("list", "List episodic memories, newest first.") { agent, limit, json };
        list.SetAction((result, ct) => CommandContext.From(result, dataDir, runtime, verbose).WithRuntimeAsync(async rt =>
        {
            var agentId = result.GetValue(agent)!;
            var page = await rt.Services.GetRequiredService<IServiceInvoker>().GetAsync<EpisodicMemoryPage>(
                AppIds.Memory, $"v1/memory/{Uri.EscapeDataString(agentId)}/episodic?limit={result.GetValue(limit)}", ct).ConfigureAwait(false);
            if (result.GetValue(json))
            {
                CliOutput.Json(page);
                return ExitCodes.Ok;
            }

            AnsiConsole.MarkupLine($"agent [bold]{CliOutput.Escape(page.AgentId)}[/]: {page.Total} episodic memories");
            var table = new Table().Border(TableBorder.Rounded).AddColumns("when", "actor", "outcome", "event");
            foreach (var e in page.Items)
            {
                table.AddRow(
                    e.OccurredAt.ToString("u", System.Globalization.CultureInfo.InvariantCulture),
                    CliOutput.Escape(e.Actor), CliOutput.Escape(e.Outcome), CliOutput.Escape(e.Event));
            }

            AnsiConsole.Write(table);
            return ExitCodes.Ok;
        }, ct));
        memory.Subcommands.Add(list);
        memory.Subcommands.Add(Add(dataDir, runtime, verbose, agent));
        memory.Subcommands.Add(Search(dataDir, runtime, verbose, agent));
        memory.Subcommands.Add(Forget(dataDir, runtime, verbose, agent));
        memory.Subcommands.Add(MigrateCommands.Create(dataDir, runtime, verbose));
        memory.Subcommands.Add(ReindexCommand.Create(dataDir, runtime, verbose));
        memory.Subcommands.Add(ReembedCommand.Create(dataDir, runtime, verbose));
        return memory;
    }

    private static Command Add(Option<string> dataDir, Option<string> runtime, Option<bool> verbose, Option<string> agent)
    {
        var text = new Argument<string>("text") { Description = "What to remember." };
        var type = new Option<MemoryType>("--type") { Description = "episodic, semantic, procedural or resource.", DefaultValueFactory = _ => MemoryType.Episodic };
        var fact = new Option<string[]>("--fact") { Description = "For semantic memory: subject predicate object (three words or quoted phrases).", AllowMultipleArgumentsPerToken = true, Arity = new ArgumentArity(0, 3) };
        var goal = new Option<string?>("--goal") { Description = "For procedural memory: the goal pattern the procedure serves." };
        var source = new Option<string?>("--source") { Description = "For resource memory: where the text comes from." };
        var json = new Option<bool>("--json") { Description = "Print JSON." };
        var command = new Command("add", "Remember something (episodic, semantic, procedural or resource).") { text, type, fact, goal, source, json, agent };
        command.SetAction((result, ct) => CommandContext.From(result, dataDir, runtime, verbose).WithRuntimeAsync(async rt =>
        {
            var parts = result.GetValue(fact) ?? [];
            var request = new WriteMemoryRequest(
                result.GetValue(type), result.GetValue(text)!,
                Fact: parts.Length == 3 ? new SemanticFact(parts[0], parts[1], parts[2]) : null,
                Procedure: result.GetValue(goal) is { } g ? new Procedure(g, [result.GetValue(text)!]) : null,
                Resource: result.GetValue(source) is { } s ? new ResourceChunk(s) : null);
            var entry = await rt.Services.GetRequiredService<IServiceInvoker>().InvokeAsync<WriteMemoryRequest, MemoryEntry>(
                AppIds.Memory, $"v1/memory/{Uri.EscapeDataString(result.GetValue(agent)!)}/entries", request, ct).ConfigureAwait(false);
            if (result.GetValue(json))
            {
                CliOutput.Json(entry);
            }
            else
            {
                AnsiConsole.MarkupLine($"remembered [bold]{CliOutput.Escape(entry.Id)}[/] ({entry.Type}{(entry.ExpiresAt is { } e ? $", expires {e:u}" : "")})");
            }

            return ExitCodes.Ok;
        }, ct));
        return command;
    }

    private static Command Search(Option<string> dataDir, Option<string> runtime, Option<bool> verbose, Option<string> agent)
    {
        var query = new Argument<string>("query") { Description = "What to look for." };
        var types = new Option<MemoryType[]>("--type") { Description = "Only these types (repeatable).", AllowMultipleArgumentsPerToken = true };
        var k = new Option<int>("--k") { Description = "How many hits.", DefaultValueFactory = _ => 10 };
        var active = new Option<bool>("--active") { Description = "MIRIX active retrieval: also search by the query's topic." };
        var json = new Option<bool>("--json") { Description = "Print JSON." };
        var command = new Command("search", "Search memory by meaning, merged over types with their rankings.") { query, types, k, active, json, agent };
        command.SetAction((result, ct) => CommandContext.From(result, dataDir, runtime, verbose).WithRuntimeAsync(async rt =>
        {
            var response = await rt.Services.GetRequiredService<IServiceInvoker>().InvokeAsync<SearchMemoryRequest, SearchMemoryResponse>(
                AppIds.Memory, $"v1/memory/{Uri.EscapeDataString(result.GetValue(agent)!)}/search",
                new SearchMemoryRequest(result.GetValue(query)!, result.GetValue(types) is { Length: > 0 } t ? t : null, result.GetValue(k), Active: result.GetValue(active)), ct)
                .ConfigureAwait(false);
            if (result.GetValue(json))
            {
                CliOutput.Json(response);
                return ExitCodes.Ok;
            }

            var table = new Table().Border(TableBorder.Rounded).AddColumns("score", "type", "id", "text");
            foreach (var hit in response.Hits)
            {
                table.AddRow(hit.Score.ToString("0.000", System.Globalization.CultureInfo.InvariantCulture), hit.Entry.Type.ToString(),
                    CliOutput.Escape(hit.Entry.Id), CliOutput.Escape(hit.Entry.Text));
            }

            AnsiConsole.Write(table);
            return ExitCodes.Ok;
        }, ct));
        return command;
    }

    private static Command Forget(Option<string> dataDir, Option<string> runtime, Option<bool> verbose, Option<string> agent)
    {
        var id = new Argument<string>("id") { Description = "The memory's id." };
        var command = new Command("forget", "Forget one memory.") { id, agent };
        command.SetAction((result, ct) => CommandContext.From(result, dataDir, runtime, verbose).WithRuntimeAsync(async rt =>
        {
            var invoker = rt.Services.GetRequiredService<IServiceInvoker>();
            var agentId = Uri.EscapeDataString(result.GetValue(agent)!);
            var entryId = Uri.EscapeDataString(result.GetValue(id)!);
            _ = await invoker.GetAsync<MemoryEntry>(AppIds.Memory, $"v1/memory/{agentId}/entries/{entryId}", ct).ConfigureAwait(false);
            var forgotten = await invoker.DeleteAsync<AgentMemoryApi.Forgotten>(AppIds.Memory, $"v1/memory/{agentId}/entries/{entryId}", ct).ConfigureAwait(false);
            AnsiConsole.MarkupLine(forgotten.Removed ? $"forgot [bold]{CliOutput.Escape(forgotten.Id)}[/]" : "nothing to forget");
            return forgotten.Removed ? ExitCodes.Ok : ExitCodes.BadInput;
        }, ct));
        return command;
    }
}
