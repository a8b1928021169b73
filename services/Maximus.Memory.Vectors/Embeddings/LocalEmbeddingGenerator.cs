using System.Numerics.Tensors;
using System.Text;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Options;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.Tokenizers;

namespace Maximus.Memory.Vectors.Embeddings;

/// <summary>
/// Local sentence embeddings (384 dimensions, L2-normalised) as an <see cref="IEmbeddingGenerator{TInput,TEmbedding}"/>:
/// all-MiniLM-L6-v2 or snowflake-arctic-embed-xs (<see cref="LocalEmbeddingModel"/>). The ONNX model and the WordPiece
/// vocabulary are the manifest resources of the model's SentenceTransformers package; this thin wrapper runs them with
/// ONNX Runtime and Microsoft.ML.Tokenizers' <see cref="BertTokenizer"/>, with the model's pooling (mean over the
/// attention mask, or [CLS]) and L2 normalisation, and gives the same vectors as the package's own <c>SentenceEncoder</c>
/// (cosine ≥ 0.9999, tested) with configurable threads and batching, without loading the package's tokenizer and tensor
/// helpers. Texts marked as queries (<see cref="QueryEmbeddings"/>) get the model's query prefix.
/// </summary>
/// <remarks>
/// Words are split like the package does (on spaces, and around <c>.,;:\/?!#$%()=+-*"'–_`&lt;&gt;&amp;^@{}[]|~</c>,
/// lower-cased, words longer than 50 characters dropped), because BertTokenizer's own basic tokenization drops ASCII
/// symbols such as <c>= + $ | ~</c>, which the package keeps. Two differences remain: tabs and line breaks separate
/// words here, where the package glues the words around them into one unknown token (deliberate); and a word with a
/// character outside the vocabulary (an accent, a CJK character) is one [UNK] here, as in standard WordPiece, where the
/// package keeps the pieces before the unknown character. Plain English text embeds identically (tested).
/// </remarks>
public sealed class LocalEmbeddingGenerator : IEmbeddingGenerator<string, Embedding<float>>, IQueryInputFormatter, IEmbeddingInputLength
{
    public const int Dimensions = 384;

    private const int MaxWordLength = 50;
    private const string SplitCharacters = ".,;:\\/?!#$%()=+-*\"'–_`<>&^@{}[]|~";

    private readonly Lazy<LoadedSession> _loaded;
    private readonly Lock _gate = new();
    private int _running;
    private bool _disposed;
    private readonly BertTokenizer _tokenizer;
    private readonly LocalEmbeddingOptions _options;
    private readonly EmbeddingGeneratorMetadata _metadata;

    public LocalEmbeddingGenerator(IOptions<LocalEmbeddingOptions> options)
        : this(options.Value)
    {
    }

    public LocalEmbeddingGenerator(LocalEmbeddingOptions? options = null)
    {
        _options = options ?? new LocalEmbeddingOptions();
        if (_options.IntraOpThreads < 1 || _options.MaxBatchSize < 1 || _options.MaxTokens is < 2 or > 512)
        {
            throw new ArgumentException("IntraOpThreads and MaxBatchSize must be at least 1, MaxTokens from 2 to 512.", nameof(options));
        }

        Model = LocalEmbeddingModel.For(_options.Model);
        var assembly = Model.Package;
        using (var vocabulary = OpenResource(assembly, Model.VocabularyResource))
        {
            _tokenizer = BertTokenizer.Create(vocabulary, new BertOptions
            {
                // Words are split and lower-cased by PreTokenize; the tokenizer only does WordPiece.
                ApplyBasicTokenization = false,
                LowerCaseBeforeTokenization = false,
                SplitOnSpecialTokens = false,
            });
        }

        // The session loads at the first embedding, not here: the model's id and dimension (all a collection's start-up
        // check needs) are known without it, so a host's start-up goes on while the model loads on the warm-up's thread
        // (EmbeddingWarmup) instead of waiting for it at the first service that asks for the generator's metadata.
        _loaded = new Lazy<LoadedSession>(LoadSession, LazyThreadSafetyMode.ExecutionAndPublication);
        EffectiveModelId = Model.EffectiveId(_options.Quantization);

        _metadata = new EmbeddingGeneratorMetadata("onnxruntime", providerUri: null, defaultModelId: EffectiveModelId, defaultModelDimensions: Dimensions);
    }

    /// <summary>The model.</summary>
    public LocalEmbeddingModel Model { get; }

    /// <summary>The model the vectors come from: its id, with <c>#int8</c> when quantized (<see cref="LocalEmbeddingModel.EffectiveId"/>).</summary>
    public string EffectiveModelId { get; }

    /// <summary>Where the model was loaded from: a prepared model file, or the package's resource (loads the model).</summary>
    public string ModelSource => Use(static loaded => loaded.Source);

    /// <summary>True once the session has loaded (at the first embedding, or when <see cref="ModelSource"/> is read).</summary>
    internal bool IsLoaded => _loaded.IsValueCreated;

    /// <summary>Runs on the calling thread (inference is CPU-bound; a thread hop would only add latency).</summary>
    public Task<GeneratedEmbeddings<Embedding<float>>> GenerateAsync(
        IEnumerable<string> values, EmbeddingGenerationOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(values);
        if (options?.Dimensions is { } dimensions && dimensions != Dimensions)
        {
            throw new ArgumentException($"{Model.ModelId} produces {Dimensions} dimensions; {dimensions} were requested.", nameof(options));
        }

        var texts = values.ToList();
        if (QueryEmbeddings.IsQuery(options))
        {
            texts = texts.ConvertAll(FormatQuery);
        }

        var vectors = Embed(texts, cancellationToken);
        var created = DateTimeOffset.UtcNow;
        return Task.FromResult(new GeneratedEmbeddings<Embedding<float>>(
            vectors.Select(v => new Embedding<float>(v) { ModelId = EffectiveModelId, CreatedAt = created })));
    }

    /// <summary>The text the model embeds for a query: the model's query prefix before it.</summary>
    public string FormatQuery(string text) =>
        Model.QueryPrefix.Length == 0 ? text : Model.QueryPrefix + (text ?? throw new ArgumentNullException(nameof(text)));

    /// <summary>One text's (a passage's) embedding, on the calling thread.</summary>
    public float[] Embed(string text, CancellationToken cancellationToken = default) => Embed([text], cancellationToken)[0];

    /// <summary>The embeddings of <paramref name="texts"/>, in order, on the calling thread (batched by length).</summary>
    public float[][] Embed(IReadOnlyList<string> texts, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(texts);
        var tokens = new int[texts.Count][];
        for (var i = 0; i < texts.Count; i++)
        {
            tokens[i] = Tokenize(texts[i] ?? throw new ArgumentException($"Text {i} is null.", nameof(texts)));
        }

        var order = Enumerable.Range(0, texts.Count).OrderBy(i => tokens[i].Length).ToArray();
        return Use(loaded =>
        {
            var result = new float[tokens.Length][];
            foreach (var batch in Batches(order, i => tokens[i].Length, _options.MaxBatchSize))
            {
                cancellationToken.ThrowIfCancellationRequested();
                var vectors = Run(loaded, batch.Select(i => tokens[i]).ToArray(), cancellationToken);
                for (var j = 0; j < batch.Length; j++)
                {
                    result[batch[j]] = vectors[j];
                }
            }

            return result;
        });
    }

    /// <summary>
    /// Cuts texts sorted by token count (shortest first) into model runs of at most <paramref name="maxBatch"/> texts, and
    /// also before a text that would make padding the larger part of a run: every text of a run is padded to its longest,
    /// so one long text (a mission's episode of 280 tokens) among short ones (facts of 30) made the run cost ten long
    /// texts (measured: ~800 ms for such a run of 10 on these 2 cores, against ~100 ms cut in two).
    /// </summary>
    internal static IEnumerable<int[]> Batches(IReadOnlyList<int> sortedByLength, Func<int, int> length, int maxBatch)
    {
        var batch = new List<int>(Math.Min(maxBatch, sortedByLength.Count));
        long tokens = 0;
        foreach (var i in sortedByLength)
        {
            var n = length(i);
            if (batch.Count > 0 && (batch.Count == maxBatch || 2 * (tokens + n) < (long)(batch.Count + 1) * n))
            {
                yield return [.. batch];
                batch.Clear();
                tokens = 0;
            }

            batch.Add(i);
            tokens += n;
        }

        if (batch.Count > 0)
        {
            yield return [.. batch];
        }
    }

    /// <summary>The token count of <paramref name="text"/> with [CLS] and [SEP], after the cut-off at <see cref="LocalEmbeddingOptions.MaxTokens"/>.</summary>
    public int InputLength(string text) => Tokenize(text).Length;

    /// <summary>The token ids the model sees: [CLS], WordPiece ids of the pre-tokenized words, [SEP], cut at MaxTokens.</summary>
    public int[] Tokenize(string text)
    {
        var pieces = _tokenizer.EncodeToIds(PreTokenize(text), addSpecialTokens: false, considerPreTokenization: true, considerNormalization: true);
        var length = Math.Min(pieces.Count + 2, _options.MaxTokens);
        var ids = new int[length];
        ids[0] = _tokenizer.ClassificationTokenId;
        for (var i = 1; i < length; i++)
        {
            ids[i] = i - 1 < pieces.Count ? pieces[i - 1] : _tokenizer.SeparatorTokenId;
        }

        return ids;
    }

    /// <summary>Words as the package splits them, lower-cased and joined by single spaces.</summary>
    public static string PreTokenize(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var result = new StringBuilder(text.Length + 16);
        foreach (var word in text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries))
        {
            var start = 0;
            for (var i = 0; i < word.Length; i++)
            {
                if (SplitCharacters.Contains(word[i], StringComparison.Ordinal))
                {
                    Append(result, word.AsSpan(start, i - start));
                    Append(result, word.AsSpan(i, 1));
                    start = i + 1;
                }
            }

            Append(result, word.AsSpan(start));
        }

        return result.ToString();

        static void Append(StringBuilder builder, ReadOnlySpan<char> word)
        {
            if (word.IsEmpty || word.Length > MaxWordLength)
            {
                return;
            }

            if (builder.Length > 0)
            {
                builder.Append(' ');
            }

            foreach (var c in word)
            {
                builder.Append(char.ToLowerInvariant(c));
            }
        }
    }

    public object? GetService(Type serviceType, object? serviceKey = null)
    {
        ArgumentNullException.ThrowIfNull(serviceType);
        return serviceKey is not null ? null
            : serviceType == typeof(EmbeddingGeneratorMetadata) ? _metadata
            : serviceType == typeof(LocalEmbeddingModel) ? Model
            : serviceType.IsInstanceOfType(this) ? this
            : null;
    }

    /// <summary>
    /// Frees the session (and unmaps its table) once no run is using it: a run still going (a warm-up started beside
    /// start-up, say, when the host stops at once) finishes first and the last one out frees it; later calls throw
    /// <see cref="ObjectDisposedException"/>.
    /// </summary>
    public void Dispose()
    {
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            if (_running > 0)
            {
                return;
            }
        }

        FreeSession();
    }

    /// <summary>Runs <paramref name="action"/> on the loaded session (loading it first), never on a freed one.</summary>
    private T Use<T>(Func<LoadedSession, T> action)
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            _running++;
        }

        try
        {
            return action(_loaded.Value);
        }
        finally
        {
            bool free;
            lock (_gate)
            {
                free = --_running == 0 && _disposed;
            }

            if (free)
            {
                FreeSession();
            }
        }
    }

    private void FreeSession()
    {
        if (_loaded.IsValueCreated)
        {
            _loaded.Value.Dispose();
        }
    }

    /// <summary>The ONNX Runtime session: the prepared model when one matches, else the package's model (quantized here).</summary>
    private LoadedSession LoadSession()
    {
        var sessionOptions = NewSessionOptions(_options);
        var prepared = PreparedModel.Find(_options.PreparedModelDirectory, Model, _options.Quantization);
        InferenceSession? session = null;
        byte[]? modelBytes = null;
        WordEmbeddingTable? table = null;
        string? refused = null;
        var source = "";
        if (prepared is not null)
        {
            // The prepared model is already optimised and in ONNX Runtime's own format, which the session uses in place
            // (no parse into a second copy): about 80 ms against about 300 ms for the ONNX file. The bytes must stay put
            // for the session's life: a pinned array the generator keeps.
            sessionOptions.GraphOptimizationLevel = GraphOptimizationLevel.ORT_DISABLE_ALL;
            sessionOptions.AddSessionConfigEntry("session.use_ort_model_bytes_directly", "1");
            sessionOptions.AddSessionConfigEntry("session.use_ort_model_bytes_for_initializers", "1");
            try
            {
                session = new InferenceSession(prepared.Bytes, sessionOptions);
                table = OpenTable(session, prepared);
                modelBytes = prepared.Bytes;
                source = prepared.Path;
            }
            catch (Exception ex) when (ex is OnnxRuntimeException or InvalidDataException or IOException or UnauthorizedAccessException)
            {
                // A damaged prepared model (or a missing or damaged table beside it) costs the fast start, not the
                // service: the package's model loads instead.
                refused = $" (the prepared model {prepared.Path} does not load: {ex.Message})";
                session?.Dispose();
                session = null;
                sessionOptions.Dispose();
                sessionOptions = NewSessionOptions(_options);
            }
        }

        if (session is null)
        {
            sessionOptions.GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_EXTENDED;
            var model = ReadResource(Model.Package, Model.ModelResource);
            if (_options.Quantization == EmbeddingQuantization.Int8)
            {
                model = Int8Quantizer.Quantize(model);
            }

            session = new InferenceSession(model, sessionOptions);
            source = "package resource " + Model.ModelResource + (_options.Quantization == EmbeddingQuantization.Int8 ? ", quantized to int8 at load" : "") + refused;
        }

        return new LoadedSession(session, sessionOptions, modelBytes, table, source);
    }

    /// <summary>
    /// The word-embedding table a prepared model takes as an input (<see cref="WordEmbeddingTable"/>), mapped from its file;
    /// null when the model holds its table itself.
    /// </summary>
    private WordEmbeddingTable? OpenTable(InferenceSession session, PreparedModel prepared)
    {
        var extra = session.InputMetadata.Where(i => !LoadedSession.TokenInputs.Contains(i.Key)).ToList();
        return extra switch
        {
            [] => null,
            [var input] when prepared.TablePath is { } path => WordEmbeddingTable.Open(path, input.Key, input.Value),
            [var input] => throw new InvalidDataException($"its word-embedding table ({WordEmbeddingTable.FileNameFor(Model)}, input '{input.Key}') is missing"),
            _ => throw new InvalidDataException($"it takes inputs this generator does not know: {string.Join(", ", extra.Select(i => i.Key))}"),
        };
    }

    private static SessionOptions NewSessionOptions(LocalEmbeddingOptions options) => new()
    {
        IntraOpNumThreads = options.IntraOpThreads,
        InterOpNumThreads = 1,
        ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
    };

    internal static Stream OpenResource(System.Reflection.Assembly assembly, string name) =>
        assembly.GetManifestResourceStream(name)
        ?? throw new InvalidOperationException($"The package {assembly.GetName().Name} has no resource '{name}'.");

    /// <summary>One copy of the 91 MB model out of the assembly (a MemoryStream and ToArray would make two).</summary>
    internal static byte[] ReadResource(System.Reflection.Assembly assembly, string name)
    {
        using var stream = OpenResource(assembly, name);
        var bytes = GC.AllocateUninitializedArray<byte>(checked((int)stream.Length));
        stream.ReadExactly(bytes);
        return bytes;
    }

    private float[][] Run(LoadedSession loaded, int[][] batch, CancellationToken cancellationToken)
    {
        var count = batch.Length;
        var length = batch.Max(t => t.Length);
        var inputIds = new long[count * length];
        var mask = new long[count * length];
        var types = new long[count * length];
        for (var i = 0; i < count; i++)
        {
            for (var j = 0; j < batch[i].Length; j++)
            {
                inputIds[(i * length) + j] = batch[i][j];
                mask[(i * length) + j] = 1;
            }
        }

        long[] shape = [count, length];
        using var ids = OrtValue.CreateTensorValueFromMemory(inputIds, shape);
        using var attention = OrtValue.CreateTensorValueFromMemory(mask, shape);
        using var tokenTypes = OrtValue.CreateTensorValueFromMemory(types, shape);
        using var runOptions = new RunOptions();
        using var registration = cancellationToken.Register(() => runOptions.Terminate = true);
        OrtValue[] tokenInputs = loaded.TokenInputCount == 3 ? [ids, attention, tokenTypes] : [ids, attention];
        OrtValue[] inputs = loaded.Table is { } table ? [.. tokenInputs, table.Value] : tokenInputs;
        using var outputs = loaded.Session.Run(runOptions, loaded.InputNames, inputs, loaded.OutputNames);
        cancellationToken.ThrowIfCancellationRequested();
        var hidden = outputs[0].GetTensorDataAsSpan<float>();
        var result = new float[count][];
        for (var i = 0; i < count; i++)
        {
            var vector = new float[Dimensions];
            if (Model.Pooling == EmbeddingPooling.Cls)
            {
                hidden.Slice(i * length * Dimensions, Dimensions).CopyTo(vector);
            }
            else
            {
                // Mean pooling over the real tokens (padding has attention 0).
                var tokens = batch[i].Length;
                for (var j = 0; j < tokens; j++)
                {
                    TensorPrimitives.Add(vector, hidden.Slice(((i * length) + j) * Dimensions, Dimensions), vector);
                }

                TensorPrimitives.Divide(vector, Math.Max(tokens, 1e-9f), vector);
            }

            TensorPrimitives.Divide(vector, Math.Max(TensorPrimitives.Norm(vector), 1e-12f), vector);
            result[i] = vector;
        }

        return result;
    }
}

/// <summary>A loaded model: its session, the session's options, the bytes it runs from and its mapped table (kept alive with it).</summary>
internal sealed class LoadedSession(InferenceSession session, SessionOptions options, byte[]? modelBytes, WordEmbeddingTable? table, string source) : IDisposable
{
    /// <summary>The token inputs, in the order runs pass them: BERT exports take input_ids and attention_mask, token_type_ids only when the export kept it.</summary>
    public static readonly string[] TokenInputs = ["input_ids", "attention_mask", "token_type_ids"];

    public InferenceSession Session { get; } = session;

    /// <summary>The prepared model's bytes, which the session reads in place: held as long as the session.</summary>
    public byte[]? ModelBytes { get; } = modelBytes;

    /// <summary>The word-embedding table mapped from its file, passed with every run; null when the model holds it.</summary>
    public WordEmbeddingTable? Table { get; } = table;

    public string Source { get; } = source;

    public string[] OutputNames { get; } = [session.OutputMetadata.Keys.First()];

    /// <summary>The token inputs the model takes, then the table's when it is mapped.</summary>
    public string[] InputNames { get; } = [.. TokenInputs.Where(session.InputMetadata.ContainsKey), .. table is null ? [] : new[] { table.InputName }];

    /// <summary>How many of <see cref="InputNames"/> are token inputs.</summary>
    public int TokenInputCount => Table is null ? InputNames.Length : InputNames.Length - 1;

    public void Dispose()
    {
        Session.Dispose();
        Table?.Dispose();
        options.Dispose();
    }
}
