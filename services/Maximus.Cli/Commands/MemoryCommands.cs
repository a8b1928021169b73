using System.CommandLine;
using Maximus.Cli;
using Maximus.Contracts;
using Maximus.Contracts.Memory;
using Maximus.Contracts.Ports;
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
        return memory;
    }
}
