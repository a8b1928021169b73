using System.CommandLine;
using Maximus.Cli;
using Maximus.Cli.Commands;
using Maximus.Runtime.Embedded;

var dataDir = new Option<string>("--data-dir")
{
    Description = "Folder of the embedded runtime's data (state, missions, memory).",
    DefaultValueFactory = _ => EmbeddedRuntimeOptions.DefaultDataDirectory(),
    Recursive = true,
};
var runtime = new Option<string>("--runtime")
{
    Description = "embedded (everything in this process) or dapr (talk to the services through a Dapr sidecar).",
    DefaultValueFactory = _ => "embedded",
    Recursive = true,
};
runtime.AcceptOnlyFromAmong("embedded", "dapr");
var verbose = new Option<bool>("--verbose") { Description = "Show the services' logs.", Recursive = true };

var root = new RootCommand("maximus — the cognition layer of an AI agent: plan, simulate, execute, reflect, remember.");
root.Options.Add(dataDir);
root.Options.Add(runtime);
root.Options.Add(verbose);
root.Subcommands.Add(RunCommands.Run(dataDir, runtime, verbose));
root.Subcommands.Add(RunCommands.Demo(dataDir, runtime, verbose));
root.Subcommands.Add(MissionsCommands.Create(dataDir, runtime, verbose));
root.Subcommands.Add(MemoryCommands.Create(dataDir, runtime, verbose));
root.Subcommands.Add(LlmCommands.Create(dataDir, runtime, verbose));
root.Subcommands.Add(PluginsCommands.Create(dataDir));
root.Subcommands.Add(McpCommands.Create(dataDir, runtime, verbose));
root.Subcommands.Add(UiCommand.Create(dataDir, runtime, verbose));
root.Subcommands.Add(DoctorCommand.Create(dataDir));

var parsed = root.Parse(args);
if (parsed.Errors.Count > 0)
{
    foreach (var error in parsed.Errors)
    {
        Console.Error.WriteLine($"error: {error.Message}");
    }

    Console.Error.WriteLine("Run 'maximus --help' for usage.");
    return ExitCodes.BadInput;
}

try
{
    // Exceptions come here (not to System.CommandLine's handler) so an unusable data file ends with its own code and line.
    return await parsed.InvokeAsync(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
}
catch (Exception ex) when (Maximus.Sqlite.DataFileException.Find(ex) is { } dataFile)
{
    Console.Error.WriteLine($"error: {dataFile.Message}");
    return Maximus.Sqlite.DataFileException.ExitCode;
}
catch (Exception ex) when (Maximus.Contracts.Ports.EmbeddingModelMismatchException.Find(ex) is { } mismatch)
{
    // The memories were embedded with another model: one line naming the command that re-embeds them.
    Console.Error.WriteLine($"error: {mismatch.Message}");
    return Maximus.Contracts.Ports.EmbeddingModelMismatchException.ExitCode;
}
catch (Exception ex) when (ex is not OperationCanceledException)
{
    // What System.CommandLine's own handler did: the exception on standard error, exit code 1.
    Console.Error.WriteLine(ex);
    return 1;
}
