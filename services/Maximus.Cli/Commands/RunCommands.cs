using System.CommandLine;
using System.Reflection;
using Maximus.Cli;

namespace Maximus.Cli.Commands;

internal static class RunCommands
{
    public static Command Run(Option<string> dataDir, Option<string> runtime, Option<bool> verbose)
    {
        var domain = new Option<FileInfo>("--domain") { Description = "The PDDL domain file." };
        var problem = new Option<FileInfo>("--problem") { Description = "The PDDL problem file." };
        var plugin = new Option<string>("--plugin") { Description = "Instead of PDDL: an MCP server added with 'maximus plugins add-mcp', or a plugin app id (with --context)." };
        var context = new Option<string>("--context") { Description = "With --plugin <app id>: the plugin's context." };
        var steps = new Option<FileInfo>("--steps") { Description = "With --plugin: the plan to run, a JSON array of {\"action\", \"arguments\"}." };
        var json = new Option<bool>("--json") { Description = "Print one JSON object instead of a report." };
        var agent = new Option<string>("--agent") { Description = "The agent whose memory the mission uses.", DefaultValueFactory = _ => "default" };
        var command = new Command(
            "run",
            "Run a PDDL mission (--domain, --problem: plan, simulate, execute, reflect, remember), or a given plan on a plugin (--plugin, --steps: simulate, execute, reflect, remember).")
        {
            domain, problem, plugin, context, steps, json, agent,
        };
        command.SetAction(async (result, cancellationToken) =>
        {
            var ctx = CommandContext.From(result, dataDir, runtime, verbose);
            if (result.GetValue(plugin) is { } pluginName)
            {
                if (result.GetValue(steps) is not { } stepsFile)
                {
                    return CliOutput.Error("--plugin needs --steps plan.json (the plan to run).");
                }

                if (PlanFile.Read(stepsFile.FullName, out var planError) is not { } plan)
                {
                    return CliOutput.Error(planError!);
                }

                var (appId, pluginContext) = MissionRunner.ResolvePlugin(pluginName, result.GetValue(context));
                return await ctx.WithRuntimeAsync(
                    rt => MissionRunner.RunStepsAsync(rt, appId, pluginContext, plan, result.GetValue(agent)!, result.GetValue(json), cancellationToken),
                    cancellationToken).ConfigureAwait(false);
            }

            if (result.GetValue(domain) is null || result.GetValue(problem) is null)
            {
                return CliOutput.Error("give --domain and --problem (a PDDL mission), or --plugin and --steps (a given plan).");
            }

            var domainFile = result.GetValue(domain)!.FullName;
            var problemFile = result.GetValue(problem)!.FullName;
            if (MissionRunner.ReadPddl(domainFile, problemFile, out var error) is not { } texts)
            {
                return CliOutput.Error(error!);
            }

            return await ctx.WithRuntimeAsync(
                rt => MissionRunner.RunPddlAsync(rt, texts.Domain, texts.Problem, domainFile, problemFile, result.GetValue(agent)!, result.GetValue(json), cancellationToken),
                cancellationToken).ConfigureAwait(false);
        });
        return command;
    }

    public static Command Demo(Option<string> dataDir, Option<string> runtime, Option<bool> verbose)
    {
        var json = new Option<bool>("--json") { Description = "Print one JSON object instead of a report." };
        var command = new Command("demo", "Run the bundled sample mission (invert a tower of four blocks).") { json };
        command.SetAction(async (result, cancellationToken) =>
        {
            var ctx = CommandContext.From(result, dataDir, runtime, verbose);
            var domain = Sample("blocksworld-domain.pddl");
            var problem = Sample("blocksworld-problem.pddl");
            return await ctx.WithRuntimeAsync(
                rt => MissionRunner.RunPddlAsync(rt, domain, problem, "blocksworld-domain.pddl", "blocksworld-problem.pddl", "default", result.GetValue(json), cancellationToken),
                cancellationToken).ConfigureAwait(false);
        });
        return command;
    }

    private static string Sample(string name)
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream($"Maximus.Cli.Samples.{name}")
            ?? throw new InvalidOperationException($"The sample {name} is missing from this build.");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}
