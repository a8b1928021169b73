using System.Diagnostics;
using Maximus.Contracts.Ports;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Options;

namespace Maximus.Memory.Mirix;

/// <summary>One progress report of a re-embedding: the phase, points done of the total, and the rate of this run.</summary>
/// <param name="Phase"><c>embed</c> (vectors from the configured model) or <c>copy</c> (the temporary collection back under the collection's name).</param>
public sealed record ReembedProgress(string Phase, long Done, long Total, double PointsPerSecond);

/// <summary>What a re-embedding did.</summary>
/// <param name="Embedded">Points embedded by this run (a resumed run leaves out those a previous run finished).</param>
/// <param name="UpToDate">True when the collection already recorded the configured model: nothing was done.</param>
public sealed record ReembedResult(
    string Collection, string? FromModel, string ToModel, int FromDimension, int ToDimension, long Points, long Embedded, bool InPlace, bool UpToDate);

/// <summary>
/// Re-embeds every point of the memories collection with the configured embedding generator (the command
/// <c>maximus memory reembed</c>), from the text <see cref="AgentMemory"/> embeds (<see cref="AgentMemory.EmbeddingText(System.Text.Json.Nodes.JsonObject)"/>),
/// in batches through the port's upsert, then records the new model. Run it with the services on the data stopped.
/// <para><b>Same dimension:</b> in place. The collection first records <see cref="EmbeddingModelIds.Reembedding"/> (so no
/// service starts on half-converted vectors), every point is rewritten, then the model is recorded; a re-run after a crash
/// starts over (the rewrite is idempotent).</para>
/// <para><b>Another dimension</b> (the port has no rename): the points are embedded into <c>&lt;collection&gt;-reembed</c>,
/// which records the marker until it holds every point and then the new model; then the old collection is deleted, created
/// again with the new dimension (recording the marker), filled from the temporary one, records the new model, and the
/// temporary one is deleted. The state on disk says where a crash stopped, so re-running the command resumes: a temporary
/// collection still marked is filled further (points already there are not embedded again); a temporary collection that
/// records the model means the swap was under way, and the copy is finished (points already copied are skipped). The
/// original points are deleted only once the temporary collection holds all of them.</para>
/// </summary>
public sealed class MemoryReembedder(
    IVectorStore store,
    IEmbeddingGenerator<string, Embedding<float>> embedder,
    IOptions<MemoryOptions> options)
{
    /// <summary>Appended to the collection's name for the temporary collection of a dimension change.</summary>
    public const string TemporarySuffix = "-reembed";

    private readonly string _collection = options.Value.Collection;

    /// <summary>The temporary collection of <paramref name="collection"/>'s dimension change.</summary>
    public static string TemporaryCollection(string collection) => collection + TemporarySuffix;

    /// <summary>Re-embeds the collection in batches of <paramref name="batchSize"/>; <paramref name="progress"/> is called after every batch.</summary>
    public Task<ReembedResult> RunAsync(int batchSize, Action<ReembedProgress>? progress, CancellationToken ct) =>
        RunAsync(batchSize, progress, all: false, ct);

    /// <summary>
    /// <see cref="RunAsync(int, Action{ReembedProgress}?, CancellationToken)"/>; with <paramref name="all"/> a collection
    /// that already records the configured model is re-embedded in place too (after an upgrade that changes what is
    /// embedded for an entry, <see cref="AgentMemory.EmbeddingText(MemoryEntry)"/>, such as turns told in the third person).
    /// </summary>
    public async Task<ReembedResult> RunAsync(int batchSize, Action<ReembedProgress>? progress, bool all, CancellationToken ct)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(batchSize, VectorScrollRequest.MaxLimit);
        var metadata = embedder.GetService<EmbeddingGeneratorMetadata>();
        var target = metadata?.DefaultModelId
            ?? throw new InvalidOperationException("The embedding generator does not report its model id (EmbeddingGeneratorMetadata.DefaultModelId): nothing to record.");
        var dimension = metadata.DefaultModelDimensions
            ?? (await embedder.GenerateAsync(["dimension probe"], cancellationToken: ct).ConfigureAwait(false))[0].Vector.Length;
        var run = new Run(store, embedder, target, dimension, batchSize, progress);

        var temporary = TemporaryCollection(_collection);
        var current = await store.GetCollectionAsync(_collection, ct).ConfigureAwait(false);
        var staging = await store.GetCollectionAsync(temporary, ct).ConfigureAwait(false);
        if (staging is not null && !(staging.Dimension == dimension && (IsMarker(staging, target) || Records(staging, target))))
        {
            // Left by a run towards another model: start that part again.
            await store.DeleteCollectionAsync(temporary, ct).ConfigureAwait(false);
            staging = null;
        }

        if (staging is not null && Records(staging, target))
        {
            // The temporary collection is complete: a swap was under way.
            return await SwapAsync(run, current, staging, ct).ConfigureAwait(false);
        }

        if (current is null)
        {
            if (staging is not null)
            {
                await store.DeleteCollectionAsync(temporary, ct).ConfigureAwait(false);
            }

            throw new VectorCollectionNotFoundException(_collection);
        }

        if (staging is null && Records(current, target) && !all)
        {
            return new ReembedResult(_collection, current.EmbeddingModel, target, current.Dimension, dimension, current.Count, 0, current.Dimension == dimension, UpToDate: true);
        }

        if (current.Dimension == dimension)
        {
            if (staging is not null)
            {
                await store.DeleteCollectionAsync(temporary, ct).ConfigureAwait(false);
            }

            return await InPlaceAsync(run, current, ct).ConfigureAwait(false);
        }

        staging ??= await store.EnsureCollectionAsync(AgentMemory.CollectionSpec(temporary, dimension, EmbeddingModelIds.Reembedding(target)), ct).ConfigureAwait(false);
        var embedded = await run.EmbedAsync(_collection, temporary, skipExisting: true, ct).ConfigureAwait(false);
        staging = await store.RecordEmbeddingModelAsync(temporary, target, ct).ConfigureAwait(false);
        var swapped = await SwapAsync(run, await store.GetCollectionAsync(_collection, ct).ConfigureAwait(false), staging, ct).ConfigureAwait(false);
        return swapped with { FromModel = current.EmbeddingModel, FromDimension = current.Dimension, Embedded = embedded };
    }

    private async Task<ReembedResult> InPlaceAsync(Run run, VectorCollectionInfo current, CancellationToken ct)
    {
        await store.RecordEmbeddingModelAsync(_collection, EmbeddingModelIds.Reembedding(run.Target), ct).ConfigureAwait(false);
        var embedded = await run.EmbedAsync(_collection, _collection, skipExisting: false, ct).ConfigureAwait(false);
        var done = await store.RecordEmbeddingModelAsync(_collection, run.Target, ct).ConfigureAwait(false);
        return new ReembedResult(_collection, current.EmbeddingModel, run.Target, current.Dimension, run.Dimension, done.Count, embedded, InPlace: true, UpToDate: false);
    }

    /// <summary>The temporary collection holds every point with the new model: put them under the collection's name.</summary>
    private async Task<ReembedResult> SwapAsync(Run run, VectorCollectionInfo? current, VectorCollectionInfo staging, CancellationToken ct)
    {
        var temporary = staging.Name;
        var old = current is not null && !Records(current, run.Target) && !IsMarker(current, run.Target) ? current : null;
        if (current is not null && !Records(current, run.Target) && !(current.Dimension == run.Dimension && IsMarker(current, run.Target)))
        {
            // The old collection: every one of its points is in the temporary collection.
            await store.DeleteCollectionAsync(_collection, ct).ConfigureAwait(false);
            current = null;
        }

        if (current is null || !Records(current, run.Target))
        {
            await store.EnsureCollectionAsync(AgentMemory.CollectionSpec(_collection, run.Dimension, EmbeddingModelIds.Reembedding(run.Target)), ct).ConfigureAwait(false);
            await run.CopyAsync(temporary, _collection, ct).ConfigureAwait(false);
            await store.RecordEmbeddingModelAsync(_collection, run.Target, ct).ConfigureAwait(false);
        }

        await store.DeleteCollectionAsync(temporary, ct).ConfigureAwait(false);
        var done = await store.GetCollectionAsync(_collection, ct).ConfigureAwait(false) ?? throw new VectorCollectionNotFoundException(_collection);
        return new ReembedResult(_collection, old?.EmbeddingModel, run.Target, old?.Dimension ?? run.Dimension, run.Dimension, done.Count, 0, InPlace: false, UpToDate: false);
    }

    private static bool Records(VectorCollectionInfo info, string target) =>
        !EmbeddingModelIds.IsReembedding(info.EmbeddingModel) && EmbeddingModelIds.SameModel(info.EmbeddingModel, target);

    private static bool IsMarker(VectorCollectionInfo info, string target) =>
        string.Equals(info.EmbeddingModel, EmbeddingModelIds.Reembedding(target), StringComparison.Ordinal);

    /// <summary>One run's settings and its batch loops.</summary>
    private sealed class Run(
        IVectorStore store, IEmbeddingGenerator<string, Embedding<float>> embedder, string target, int dimension, int batchSize, Action<ReembedProgress>? progress)
    {
        public string Target { get; } = target;

        public int Dimension { get; } = dimension;

        /// <summary>Embeds every point of <paramref name="from"/> into <paramref name="to"/> (the same collection: in place); returns how many it embedded.</summary>
        public async Task<long> EmbedAsync(string from, string to, bool skipExisting, CancellationToken ct)
        {
            var total = await store.CountAsync(from, null, ct).ConfigureAwait(false);
            var done = 0L;
            var embedded = 0L;
            var started = Stopwatch.GetTimestamp();
            string? cursor = null;
            do
            {
                var page = await store.ScrollAsync(from, new VectorScrollRequest(batchSize, Cursor: cursor), ct).ConfigureAwait(false);
                var records = page.Records;
                if (skipExisting && records.Count > 0)
                {
                    var present = (await store.GetAsync(to, [.. records.Select(r => r.Id)], cancellationToken: ct).ConfigureAwait(false))
                        .Select(r => r.Id).ToHashSet(StringComparer.Ordinal);
                    records = [.. records.Where(r => !present.Contains(r.Id))];
                }

                if (records.Count > 0)
                {
                    var texts = records.Select(r => AgentMemory.EmbeddingText(r.Payload)
                        ?? throw new InvalidOperationException(
                            $"Point '{r.Id}' of vector collection '{from}' has neither a memory entry nor a text in its payload: it cannot be re-embedded. " +
                            $"Delete it, then run '{EmbeddingModelIds.ReembedCommand}' again (it resumes).")).ToList();
                    var vectors = await embedder.GenerateAsync(texts, cancellationToken: ct).ConfigureAwait(false);
                    await store.UpsertAsync(to, [.. records.Select((r, i) => new VectorRecord(r.Id, vectors[i].Vector, r.Payload))], ct).ConfigureAwait(false);
                    embedded += records.Count;
                }

                done += page.Records.Count;
                Report("embed", done, total, embedded, started);
                cursor = page.NextCursor;
            }
            while (cursor is not null);

            return embedded;
        }

        /// <summary>Copies every point (vector and payload) of <paramref name="from"/> into <paramref name="to"/>, skipping those already there.</summary>
        public async Task CopyAsync(string from, string to, CancellationToken ct)
        {
            var total = await store.CountAsync(from, null, ct).ConfigureAwait(false);
            var done = 0L;
            var copied = 0L;
            var started = Stopwatch.GetTimestamp();
            string? cursor = null;
            do
            {
                var page = await store.ScrollAsync(from, new VectorScrollRequest(batchSize, Cursor: cursor) { WithVectors = true }, ct).ConfigureAwait(false);
                var present = page.Records.Count == 0 ? [] : (await store.GetAsync(to, [.. page.Records.Select(r => r.Id)], cancellationToken: ct).ConfigureAwait(false))
                    .Select(r => r.Id).ToHashSet(StringComparer.Ordinal);
                var missing = page.Records.Where(r => !present.Contains(r.Id)).ToList();
                if (missing.Count > 0)
                {
                    await store.UpsertAsync(to, missing, ct).ConfigureAwait(false);
                    copied += missing.Count;
                }

                done += page.Records.Count;
                Report("copy", done, total, copied, started);
                cursor = page.NextCursor;
            }
            while (cursor is not null);
        }

        private void Report(string phase, long done, long total, long processed, long started)
        {
            var seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
            progress?.Invoke(new ReembedProgress(phase, done, Math.Max(total, done), seconds > 0 ? processed / seconds : 0));
        }
    }
}
