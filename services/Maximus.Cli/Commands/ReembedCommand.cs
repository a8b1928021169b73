using System.CommandLine;
using System.Globalization;
using Maximus.Composition;
using Maximus.Contracts;
using Maximus.Contracts.Ports;
using Maximus.Memory.Mirix;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Maximus.Cli.Commands;

/// <summary>
/// <c>maximus memory reembed [--batch N] [--all]</c>: re-embeds every point of the memories collection with the configured
/// embedding model (<see cref="MemoryReembedder"/>) and records the model, so that the memory role starts again after a
/// model change. The store and the model are the memory role's, composed as the host composes them (embedded store in the
/// data folder, or Qdrant when configured); nothing is started. Stop the services on the data first. Progress on standard
/// error, the outcome on standard output; a run that stopped half-way resumes when run again.
/// </summary>
internal static class ReembedCommand
{
    public static Command Create(Option<string> dataDir, Option<string> runtime, Option<bool> verbose)
    {
        var batch = new Option<int>("--batch") { Description = "Points embedded and written per batch (1 to 10,000).", DefaultValueFactory = _ => 64 };
        batch.Validators.Add(r =>
        {
            if (r.GetValue(batch) is < 1 or > VectorScrollRequest.MaxLimit)
            {
                r.AddError("--batch must be from 1 to 10,000.");
            }
        });
        var all = new Option<bool>("--all")
        {
            Description = "Re-embed even when the memories already record the configured model (after an upgrade that changes what is embedded for a memory, e.g. conversation turns told in the third person).",
        };
        var command = new Command(
            "reembed",
            "Re-embed the memories with the configured embedding model and record it (after a model change; stop the services on this data folder first).")
        {
            batch,
            all,
        };
        command.SetAction(async (result, ct) =>
        {
            var context = CommandContext.From(result, dataDir, runtime, verbose);
            var host = CliRuntime.Build(new MaximusHostSettings([AppIds.Memory], RuntimeKind.Embedded, context.DataDirectory), context.Verbose);
            try
            {
                var reembedder = ActivatorUtilities.CreateInstance<MemoryReembedder>(host.Services);
                var outcome = await reembedder.RunAsync(result.GetValue(batch), Progress(), result.GetValue(all), ct).ConfigureAwait(false);
                Console.Out.WriteLine(Describe(outcome));
                return ExitCodes.Ok;
            }
            catch (VectorCollectionNotFoundException ex)
            {
                return CliOutput.Error($"{ex.Message} Nothing to re-embed (check --data-dir, or the vector store configured).", ExitCodes.BadInput);
            }
            finally
            {
                if (host is IAsyncDisposable disposable)
                {
                    await disposable.DisposeAsync().ConfigureAwait(false);
                }
                else
                {
                    host.Dispose();
                }
            }
        });
        return command;
    }

    private static string Describe(ReembedResult r) => r.UpToDate
        ? $"{r.Collection}: already embedded with {r.ToModel} ({r.Points} points): nothing to do"
        : string.Create(CultureInfo.InvariantCulture,
            $"{r.Collection}: {r.Points} points re-embedded with {r.ToModel} ({r.ToDimension} dimensions, {(r.InPlace ? "in place" : "through " + MemoryReembedder.TemporaryCollection(r.Collection))}" +
            $"{(r.FromModel is { } from ? $", was {from}" : "")}); the model is recorded");

    /// <summary>Progress lines on standard error, at most twice a second per phase and always the last one: done/total, points/s.</summary>
    private static Action<ReembedProgress> Progress()
    {
        var last = DateTimeOffset.MinValue;
        var phase = "";
        return p =>
        {
            var now = DateTimeOffset.UtcNow;
            if (p.Phase == phase && p.Done < p.Total && now - last < TimeSpan.FromMilliseconds(500))
            {
                return;
            }

            (last, phase) = (now, p.Phase);
            Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{p.Phase,-5} {p.Done}/{p.Total} points, {p.PointsPerSecond:0} points/s"));
        };
    }
}
