using System.CommandLine;
using System.Reflection;
using Maximus.Cli;

namespace Maximus.Cli.Commands;

internal static class RunCommands
{
    public static Command Run(Option<string> dataDir, Option<string> runtime, Option<bool> verbose)
    {
        var domain = new Option<FileInfo>("--domain") { Description = "The PDDL domain file.", Required = true };
        var problem = new Option<FileInfo>("--problem") { Description = "The PDDL problem file.", Required = true };
        var json = new Option<bool>("--json") { Description = "Print one JSON object instead of a report." };
        var agent = new Option<string>("--agent") { Description = "The agent whose memory the mission uses.", DefaultValueFactory = _ => "default" };
        var command = new Command("run", "Run a PDDL mission: plan, simulate, execute through the PDDL plugin, reflect, remember.")
        {
            domain, problem, json, agent,
        };
        command.SetAction(async (result, cancellationToken) =>
        {
            var ctx = CommandContext.From(result, dataDir, runtime, verbose);
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
