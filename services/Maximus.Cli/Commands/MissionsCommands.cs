using System.CommandLine;
using Maximus.Cli;
using Maximus.Contracts;
using Maximus.Contracts.Missions;
using Maximus.Contracts.Ports;
using Maximus.Missions.Apis;
using Microsoft.Extensions.DependencyInjection;
using Spectre.Console;

namespace Maximus.Cli.Commands;

internal static class MissionsCommands
{
    public static Command Create(Option<string> dataDir, Option<string> runtime, Option<bool> verbose)
    {
        var missions = new Command("missions", "List, show and resume missions.");
        missions.Subcommands.Add(List(dataDir, runtime, verbose));
        missions.Subcommands.Add(Show(dataDir, runtime, verbose));
        missions.Subcommands.Add(Resume(dataDir, runtime, verbose));
        return missions;
    }

    private static Command List(Option<string> dataDir, Option<string> runtime, Option<bool> verbose)
    {
        var json = new Option<bool>("--json") { Description = "Print JSON." };
        var limit = new Option<int>("--limit") { Description = "How many, newest first.", DefaultValueFactory = _ => 20 };
        var command = new Command("list", "List missions, newest first.") { json, limit };
        command.SetAction((result, ct) => CommandContext.From(result, dataDir, runtime, verbose).WithRuntimeAsync(async rt =>
        {
            var views = await rt.Services.GetRequiredService<IServiceInvoker>()
                .GetAsync<List<MissionView>>(
                    AppIds.Orchestrator,
                    // The table shows no steps or rounds: it asks for the summary; --json prints the missions whole.
                    $"v1/missions?limit={result.GetValue(limit)}{(result.GetValue(json) ? "" : "&view=summary")}",
                    ct).ConfigureAwait(false);
            if (result.GetValue(json))
            {
                CliOutput.Json(views);
                return ExitCodes.Ok;
            }

            var table = new Table().Border(TableBorder.Rounded).AddColumns("mission", "status", "steps", "created", "updated");
            foreach (var v in views)
            {
                table.AddRow(
                    CliOutput.Escape(v.MissionId), CliOutput.Escape(v.Status),
                    (v.Result?.StepsExecuted ?? v.Progress?.StepsExecuted ?? 0).ToString(System.Globalization.CultureInfo.InvariantCulture),
                    v.CreatedAt.ToString("u", System.Globalization.CultureInfo.InvariantCulture),
                    v.UpdatedAt.ToString("u", System.Globalization.CultureInfo.InvariantCulture));
            }

            AnsiConsole.Write(table);
            return ExitCodes.Ok;
        }, ct));
        return command;
    }

    private static Command Show(Option<string> dataDir, Option<string> runtime, Option<bool> verbose)
    {
        var id = new Argument<string>("id") { Description = "The mission id." };
        var json = new Option<bool>("--json") { Description = "Print JSON (the mission and, on the embedded runtime, its journal)." };
        var command = new Command("show", "Show a mission and its workflow journal.") { id, json };
        command.SetAction((result, ct) => CommandContext.From(result, dataDir, runtime, verbose).WithRuntimeAsync(async rt =>
        {
            var missionId = result.GetValue(id)!;
            var view = await rt.Services.GetRequiredService<IServiceInvoker>()
                .GetAsync<MissionView>(AppIds.Orchestrator, $"v1/missions/{Uri.EscapeDataString(missionId)}", ct).ConfigureAwait(false);
            var journal = rt.Journal?.LoadEntries(missionId) ?? [];
            if (result.GetValue(json))
            {
                CliOutput.Json(new
                {
                    mission = view,
                    journal = journal.Select(e => new { e.Generation, e.Seq, e.Kind, e.Name, status = e.Status.ToString(), e.Runs, e.StartedAt, e.CompletedAt, e.Error }),
                });
                return ExitCodes.Ok;
            }

            MissionRunner.Print(view);
            if (journal.Count > 0)
            {
                var table = new Table().Border(TableBorder.Rounded).AddColumns("seq", "task", "status", "runs", "completed");
                foreach (var e in journal)
                {
                    table.AddRow(
                        e.Seq.ToString(System.Globalization.CultureInfo.InvariantCulture), CliOutput.Escape($"{e.Kind} {e.Name}"), e.Status.ToString(),
                        e.Runs.ToString(System.Globalization.CultureInfo.InvariantCulture),
                        e.CompletedAt?.ToString("HH:mm:ss.fff", System.Globalization.CultureInfo.InvariantCulture) ?? "");
                }

                AnsiConsole.Write(table);
            }

            return ExitCodes.Ok;
        }, ct));
        return command;
    }

    private static Command Resume(Option<string> dataDir, Option<string> runtime, Option<bool> verbose)
    {
        var id = new Argument<string>("id") { Description = "The mission id." };
        var json = new Option<bool>("--json") { Description = "Print one JSON object instead of a report." };
        var command = new Command("resume", "Finish a mission that was interrupted (a crash, a kill): completed steps are not run again.") { id, json };
        command.SetAction((result, ct) => CommandContext.From(result, dataDir, runtime, verbose).WithRuntimeAsync(async rt =>
        {
            var missionId = result.GetValue(id)!;
            var view = await rt.Services.GetRequiredService<IServiceInvoker>().InvokeAsync<MissionsApi.ResumeRequest, MissionView>(
                AppIds.Orchestrator, $"v1/missions/{Uri.EscapeDataString(missionId)}/resume", new MissionsApi.ResumeRequest("cli"), ct).ConfigureAwait(false);
            return await MissionRunner.FollowAsync(rt, missionId, view.Request?.Context, result.GetValue(json), ct).ConfigureAwait(false);
        }, ct));
        return command;
    }
}
