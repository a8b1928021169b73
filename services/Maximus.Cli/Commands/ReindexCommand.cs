using System.CommandLine;
using System.Globalization;
using Maximus.Memory.Vectors;
using Maximus.Memory.Vectors.Embedded;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Maximus.Cli.Commands;

/// <summary>
/// <c>maximus memory reindex</c>: rebuilds every HNSW index of the embedded vector store from its SQLite file (the
/// truth), e.g. after an index file was lost or damaged or the HNSW options changed. Qdrant keeps its own indexes.
/// </summary>
internal static class ReindexCommand
{
    public static Command Create(Option<string> dataDir, Option<string> runtime, Option<bool> verbose)
    {
        var command = new Command("reindex", "Rebuild the embedded vector store's HNSW indexes from its SQLite file (stop the services on this data folder first).");
        // Plain lines (no console markup or wrapping): what was rebuilt, one collection at a time.
        command.SetAction(async (result, ct) =>
        {
            var context = CommandContext.From(result, dataDir, runtime, verbose);
            await using var provider = MigrateCommands.TargetServices(context.DataDirectory);
            if (VectorStoreServiceCollectionExtensions.UsesQdrant(provider))
            {
                return CliOutput.Error(
                    "the vector store is Qdrant (Maximus:Memory:Qdrant:Url or QDRANT_URL is set); it maintains its own indexes: nothing to rebuild.",
                    ExitCodes.BadInput);
            }

            var path = provider.GetRequiredService<IOptions<EmbeddedVectorStoreOptions>>().Value.ResolveDatabasePath();
            if (!File.Exists(path))
            {
                return CliOutput.Error($"no embedded vector store at {path}: check --data-dir.", ExitCodes.BadInput);
            }

            var store = provider.GetRequiredService<EmbeddedVectorStore>();
            var collections = store.CollectionNames();
            Console.Out.WriteLine($"{collections.Count} collection(s) in {path}");
            foreach (var collection in collections)
            {
                Console.Out.WriteLine($"rebuilding {collection} ...");
                await store.RebuildIndexAsync(collection, ct).ConfigureAwait(false);
                Console.Out.WriteLine(Describe(store.GetIndexStatus(collection)));
            }

            await store.FlushAsync(ct).ConfigureAwait(false);
            return ExitCodes.Ok;
        });
        return command;
    }

    private static string Describe(VectorIndexStatus status) => status.State == VectorIndexState.Ready
        ? string.Create(CultureInfo.InvariantCulture,
            $"  {status.Collection}: {status.Points} points, {status.Indexes} HNSW index(es) of {status.IndexedPoints} points built in {status.LastBuildSeconds ?? 0:0.00} s")
        : string.Create(CultureInfo.InvariantCulture,
            $"  {status.Collection}: {status.Points} points, below the index threshold: searched exactly, no index to build");
}
