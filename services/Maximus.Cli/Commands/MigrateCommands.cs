using System.CommandLine;
using System.Globalization;
using Maximus.Contracts.Ports;
using Maximus.Memory.Vectors;
using Maximus.Memory.Vectors.Embedded;
using Maximus.Memory.Vectors.Qdrant;
using Maximus.Migration;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Spectre.Console;

namespace Maximus.Cli.Commands;

/// <summary><c>maximus memory migrate</c>: Chroma (directory or server) into the memory service's vector store.</summary>
internal static class MigrateCommands
{
    public static Command Create(Option<string> dataDir, Option<string> runtime, Option<bool> verbose)
    {
        var from = new Option<string>("--from") { Description = "chroma:<dir> (a Chroma persistent directory) or chroma-http:<url> (a Chroma server, API v1 or v2).", Required = true };
        var to = new Option<string?>("--to") { Description = "Target collection for every Chroma collection (default: chroma-<name> per collection)." };
        var map = new Option<string[]>("--map") { Description = "collection=type (memory type of a Chroma collection; default resource). Repeatable.", AllowMultipleArgumentsPerToken = true };
        var collection = new Option<string[]>("--collection") { Description = "Only this Chroma collection (repeatable; default: all).", AllowMultipleArgumentsPerToken = true };
        var agent = new Option<string>("--agent") { Description = "Agent id of the migrated records.", DefaultValueFactory = _ => "default" };
        var agentKey = new Option<string?>("--agent-key") { Description = "Metadata key holding the agent id (e.g. user_id); falls back to --agent." };
        var verify = new Option<bool>("--verify") { Description = "Compare source and target checksums afterwards; exit 1 listing mismatching ids." };
        var resume = new Option<bool>("--resume") { Description = "Continue an interrupted run from its checkpoint." };
        var dryRun = new Option<bool>("--dry-run") { Description = "Read, validate and compare; write nothing." };
        var batch = new Option<int>("--batch-size") { Description = "Records per batch.", DefaultValueFactory = _ => 256 };
        var json = new Option<bool>("--json") { Description = "Print the report as one JSON object." };
        var command = new Command("migrate", "Migrate memories from ChromaDB into the vector store (embedded, or Qdrant when configured).")
        {
            from, to, map, collection, agent, agentKey, verify, resume, dryRun, batch, json,
        };
        command.SetAction(async (result, ct) =>
        {
            var context = CommandContext.From(result, dataDir, runtime, verbose);
            var options = new MigrateCommandOptions
            {
                From = result.GetValue(from)!,
                To = result.GetValue(to),
                Map = result.GetValue(map) ?? [],
                Collections = result.GetValue(collection) ?? [],
                AgentId = result.GetValue(agent)!,
                AgentKey = result.GetValue(agentKey),
                Verify = result.GetValue(verify),
                Resume = result.GetValue(resume),
                DryRun = result.GetValue(dryRun),
                Json = result.GetValue(json),
                BatchSize = result.GetValue(batch),
                DataDirectory = context.DataDirectory,
            };
            ServiceProvider? provider = null;
            var existedBefore = false;
            try
            {
                return await MigrateCommand.RunAsync(
                    options,
                    () =>
                    {
                        provider = TargetServices(context.DataDirectory);
                        var embedded = provider.GetRequiredService<IOptions<EmbeddedVectorStoreOptions>>().Value;
                        existedBefore = !VectorStoreServiceCollectionExtensions.UsesQdrant(provider) && File.Exists(embedded.ResolveDatabasePath());
                        var store = provider.GetRequiredService<IVectorStore>();
                        return provider.GetRequiredService<IConfiguration>()[KillAfterRecordsVectorStore.Setting] is { Length: > 0 } kill
                            ? new KillAfterRecordsVectorStore(store, long.TryParse(kill, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n >= 1
                                ? n
                                : throw new ArgumentException($"{KillAfterRecordsVectorStore.Setting} must be a positive number of records, not '{kill}'."))
                            : store;
                    },
                    Console.Out,
                    Console.Error,
                    Progress(),
                    token => provider is null ? Task.FromResult<string?>(null) : SnapshotTargetAsync(provider, existedBefore, context.DataDirectory, token),
                    cancellationToken: ct).ConfigureAwait(false);
            }
            finally
            {
                if (provider is not null)
                {
                    await provider.DisposeAsync().ConfigureAwait(false);
                }
            }
        });
        return command;
    }

    /// <summary>
    /// The target before the first write: Qdrant snapshots every collection on the server (its snapshot API; the names go to
    /// the report), the embedded store copies its database into <c>snapshots/vectors/&lt;time&gt;</c> of the data directory.
    /// Null when there is nothing yet to protect.
    /// </summary>
    private static async Task<string?> SnapshotTargetAsync(ServiceProvider provider, bool embeddedExisted, string dataDirectory, CancellationToken ct)
    {
        if (VectorStoreServiceCollectionExtensions.UsesQdrant(provider))
        {
            var snapshots = await provider.GetRequiredService<QdrantVectorStore>().SnapshotAllAsync(ct).ConfigureAwait(false);
            return snapshots.Count == 0 ? null : $"qdrant snapshots {string.Join(", ", snapshots)}";
        }

        return embeddedExisted
            ? EmbeddedSnapshot.Create(
                provider.GetRequiredService<IOptions<EmbeddedVectorStoreOptions>>().Value.ResolveDatabasePath(),
                Path.Combine(dataDirectory, "snapshots", "vectors"))
            : null;
    }

    /// <summary>The memory service's vector store: Qdrant when Maximus:Memory:Qdrant:Url or QDRANT_URL is set, else the embedded store in the data directory.</summary>
    internal static ServiceProvider TargetServices(string dataDirectory)
    {
        var configuration = new ConfigurationBuilder().AddEnvironmentVariables().Build();
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(configuration);
        services.AddLogging();
        services.AddVectorStore(o => o.DataDirectory ??= dataDirectory);
        services.PostConfigure<EmbeddedVectorStoreOptions>(o => o.DataDirectory = dataDirectory);
        return services.BuildServiceProvider();
    }

    /// <summary>Progress lines on standard error, at most twice a second per phase: done/total, records/s, ETA.</summary>
    private static Action<MigrationProgress> Progress()
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Error) });
        var last = DateTimeOffset.MinValue;
        return p =>
        {
            var now = DateTimeOffset.UtcNow;
            if (p.Done < p.Total && now - last < TimeSpan.FromMilliseconds(500))
            {
                return;
            }

            last = now;
            var eta = p.Eta is { } e ? e.ToString(@"hh\:mm\:ss", CultureInfo.InvariantCulture) : "?";
            console.MarkupLine(string.Create(CultureInfo.InvariantCulture,
                $"[grey]{p.Phase,-7}[/] {Markup.Escape(p.Collection)}: {p.Done}/{p.Total} records, {p.RecordsPerSecond:0} records/s, ETA {eta}"));
        };
    }
}
