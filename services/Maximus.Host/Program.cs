using Maximus.Composition;
using Maximus.ServiceDefaults;

// maximus host: --role reflector|memory|planner|executor|orchestrator|pddl-env|all --runtime dapr|embedded
//               prepare-models [folder] [--model MiniLM,ArcticXs]   (run by dotnet publish: the embedding model prepared for a fast start)
if (args is ["prepare-models", ..])
{
    return PrepareModels.Run(args[1..]);
}

var builder = WebApplication.CreateBuilder(HostContentRoot.Options(args));
MaximusHostSettings settings;
try
{
    settings = MaximusHostSettings.FromConfiguration(builder.Configuration);
}
catch (ArgumentException ex)
{
    Console.Error.WriteLine(ex.Message);
    return 2;
}

builder.AddServiceDefaults(settings.ServiceName);
builder.AddMaximus(settings);

var app = builder.Build();

app.MapDefaultEndpoints();
app.MapMaximus();

try
{
    app.Run();
}
catch (Exception ex) when (Maximus.Sqlite.DataFileException.Find(ex) is { } dataFile)
{
    // A corrupt or unreadable data file: one clear line and a distinct exit code, not a stack trace on every restart.
    Console.Error.WriteLine(dataFile.Message);
    return Maximus.Sqlite.DataFileException.ExitCode;
}
catch (Exception ex) when (Maximus.Contracts.Ports.EmbeddingModelMismatchException.Find(ex) is { } mismatch)
{
    // The memories were embedded with another model: one line naming the command that re-embeds them, not a restart loop.
    Console.Error.WriteLine(mismatch.Message);
    return Maximus.Contracts.Ports.EmbeddingModelMismatchException.ExitCode;
}

return 0;

/// <summary>The host's entry point, visible to <c>WebApplicationFactory</c> in tests.</summary>
public partial class Program;
