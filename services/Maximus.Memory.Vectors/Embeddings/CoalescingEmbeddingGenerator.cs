using Microsoft.Extensions.AI;

namespace Maximus.Memory.Vectors.Embeddings;

/// <summary>
/// Runs embedding calls on a bounded number of model runs, together when they are small: at most
/// <see cref="CoalescingEmbeddingOptions.MaxConcurrency"/> runs at a time (one per core by default, each on one intra-op
/// thread). A small call (up to <see cref="CoalescingEmbeddingOptions.MaxBatchTexts"/> texts, such as a search's query or a
/// single write) that arrives while every run is busy waits and joins the next run with the other small calls that arrived
/// meanwhile; on an idle generator it runs at once, so a lone query pays nothing (the coalescing window is the run in
/// progress). A larger call is cut into chunks of that size (texts of similar length together) that queue behind the small calls: a bulk write never makes
/// a search wait for more than the runs in progress, and never runs more models at once than there are cores.
/// </summary>
public sealed class CoalescingEmbeddingGenerator : DelegatingEmbeddingGenerator<string, Embedding<float>>
{
    private readonly CoalescingEmbeddingOptions _options;
    private readonly Queue<Pending> _small = new();
    private readonly Queue<Pending> _bulk = new();
    private readonly Lock _gate = new();
    private int _running;
    private long _runs;

    public CoalescingEmbeddingGenerator(IEmbeddingGenerator<string, Embedding<float>> inner, CoalescingEmbeddingOptions? options = null)
        : base(inner)
    {
        _options = options ?? new CoalescingEmbeddingOptions();
        if (_options.MaxConcurrency < 1 || _options.MaxBatchTexts < 1 || _options.SmallRunTexts < 1 || _options.Window < TimeSpan.Zero)
        {
            throw new ArgumentException("MaxConcurrency, MaxBatchTexts and SmallRunTexts must be at least 1, Window not negative.", nameof(options));
        }
    }

    /// <summary>Model runs started so far (a run may serve several calls).</summary>
    public long Runs => Interlocked.Read(ref _runs);

    public override async Task<GeneratedEmbeddings<Embedding<float>>> GenerateAsync(
        IEnumerable<string> values, EmbeddingGenerationOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(values);
        var texts = values.ToList();
        if (texts.Any(t => t is null))
        {
            throw new ArgumentException("A text is null.", nameof(values));
        }

        if (options is not null && QueryEmbeddings.IsOnlyTheQueryMark(options) && InnerGenerator.GetService<IQueryInputFormatter>() is { } formatter)
        {
            // Queries of a model that writes them its own way: written so here, they share runs with everything else.
            texts = texts.ConvertAll(formatter.FormatQuery);
            options = null;
        }

        if (texts.Count == 0 || options is not null)
        {
            // Call-specific options, which a shared run cannot honour.
            Interlocked.Increment(ref _runs);
            return await base.GenerateAsync(texts, options, cancellationToken).ConfigureAwait(false);
        }

        // A bulk call's chunks hold texts of similar length (shortest first), measured as the model sees them (tokens)
        // when the inner generator can say: every text of a run is padded to its longest. Sorted by characters, the runs
        // of 500 memories in chunks of 32 were 20 % padding (tokens computed for nothing); by tokens, a few per cent.
        int[] order;
        Pending[] parts;
        if (texts.Count <= _options.MaxBatchTexts)
        {
            order = [.. Enumerable.Range(0, texts.Count)];
            parts = [new Pending(texts, small: true)];
        }
        else
        {
            var measure = InnerGenerator.GetService<IEmbeddingInputLength>();
            var lengths = texts.ConvertAll(t => measure?.InputLength(t) ?? t.Length);
            order = [.. Enumerable.Range(0, texts.Count).OrderBy(i => lengths[i])];
            parts = [.. order.Chunk(_options.MaxBatchTexts).Select(chunk => new Pending([.. chunk.Select(i => texts[i])], small: false))];
        }

        lock (_gate)
        {
            foreach (var part in parts)
            {
                (part.Small ? _small : _bulk).Enqueue(part);
            }

            while (_running < _options.MaxConcurrency && _running < _small.Count + _bulk.Count)
            {
                _running++;
                _ = Task.Run(DrainAsync, CancellationToken.None);
            }
        }

        using var registration = cancellationToken.Register(() =>
        {
            foreach (var part in parts)
            {
                part.Completion.TrySetCanceled(cancellationToken);
            }
        });
        var vectors = new ReadOnlyMemory<float>[texts.Count];
        var next = 0;
        foreach (var part in parts)
        {
            foreach (var vector in await part.Completion.Task.ConfigureAwait(false))
            {
                vectors[order[next++]] = vector;
            }
        }

        var created = DateTimeOffset.UtcNow;
        var metadata = GetService(typeof(EmbeddingGeneratorMetadata)) as EmbeddingGeneratorMetadata;
        return new GeneratedEmbeddings<Embedding<float>>(vectors.Select(v => new Embedding<float>(v) { ModelId = metadata?.DefaultModelId, CreatedAt = created }));
    }

    /// <summary>The inner generator belongs to whoever made it (a DI singleton of its own): it is not disposed here.</summary>
    protected override void Dispose(bool disposing)
    {
    }

    /// <summary>One run slot: takes the waiting small calls together (else one bulk chunk) until both queues are empty.</summary>
    private async Task DrainAsync()
    {
        if (_options.Window > TimeSpan.Zero)
        {
            await Task.Delay(_options.Window).ConfigureAwait(false);
        }

        while (true)
        {
            var batch = new List<Pending>();
            lock (_gate)
            {
                // A fair share of the waiting texts, so that every run slot (core) gets work rather than one run taking all,
                // and at most SmallRunTexts (and MaxBatchTexts): every call of a run waits for all of it.
                var share = Math.Min(Math.Min(_options.MaxBatchTexts, _options.SmallRunTexts), (_small.Sum(p => p.Texts.Count) + _options.MaxConcurrency - 1) / _options.MaxConcurrency);
                var count = 0;
                while (_small.TryPeek(out var next) && (batch.Count == 0 || count + next.Texts.Count <= share))
                {
                    _small.Dequeue();
                    if (!next.Completion.Task.IsCompleted)
                    {
                        batch.Add(next);
                        count += next.Texts.Count;
                    }
                }

                while (batch.Count == 0 && _bulk.TryDequeue(out var chunk))
                {
                    if (!chunk.Completion.Task.IsCompleted)
                    {
                        batch.Add(chunk);
                    }
                }

                if (batch.Count == 0)
                {
                    _running--;
                    return;
                }
            }

            try
            {
                Interlocked.Increment(ref _runs);
                var all = await base.GenerateAsync([.. batch.SelectMany(p => p.Texts)], null, CancellationToken.None).ConfigureAwait(false);
                var offset = 0;
                foreach (var p in batch)
                {
                    p.Completion.TrySetResult([.. all.Skip(offset).Take(p.Texts.Count).Select(e => e.Vector)]);
                    offset += p.Texts.Count;
                }
            }
            catch (Exception ex)
            {
                foreach (var p in batch)
                {
                    p.Completion.TrySetException(ex);
                }
            }
        }
    }

    private sealed class Pending(List<string> texts, bool small)
    {
        public List<string> Texts { get; } = texts;

        public bool Small { get; } = small;

        public TaskCompletionSource<ReadOnlyMemory<float>[]> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}

/// <summary>Settings of <see cref="CoalescingEmbeddingGenerator"/> (section <c>Maximus:Memory:Embeddings:Coalescing</c>).</summary>
public sealed class CoalescingEmbeddingOptions
{
    public const string Section = "Maximus:Memory:Embeddings:Coalescing";

    /// <summary>Model runs at a time (default: one per core, each run on one intra-op thread).</summary>
    public int MaxConcurrency { get; set; } = Environment.ProcessorCount;

    /// <summary>Texts per run: a larger call is cut into chunks of this size; a call of at most this many is a small call.</summary>
    public int MaxBatchTexts { get; set; } = 32;

    /// <summary>
    /// Texts of small calls (searches' queries, single writes) that one run takes together. Every call of a run waits
    /// for the whole run, and past a few texts a larger run hardly costs less per text (all-MiniLM-L6-v2 int8, one
    /// thread, queries of ~11 tokens: 1.17 ms alone, 0.92 per text in twos, 0.86 in fours, 0.89 in eights), so under
    /// concurrent searches short runs answer sooner for the same work. A single small call larger than this still runs whole.
    /// </summary>
    public int SmallRunTexts { get; set; } = 4;

    /// <summary>How long a run that finds the generator idle waits for company (0: none; a lone call runs at once).</summary>
    public TimeSpan Window { get; set; } = TimeSpan.Zero;
}
