using Maximus.Memory.Vectors.Embeddings;
using Microsoft.Extensions.AI;

namespace Maximus.Memory.Vectors.Tests.Embeddings;

public sealed class CoalescingEmbeddingGeneratorTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Small_calls_that_arrive_while_the_runs_are_busy_share_the_next_run_and_get_their_own_vectors()
    {
        using var inner = new FakeEmbedder();
        using var generator = new CoalescingEmbeddingGenerator(inner, new CoalescingEmbeddingOptions { MaxConcurrency = 1, MaxBatchTexts = 16, SmallRunTexts = 16 });

        inner.Hold();
        var first = generator.GenerateAsync(["first"], cancellationToken: Ct);
        await inner.Started.Task.WaitAsync(Ct);
        var waiting = Enumerable.Range(0, 5).Select(i => generator.GenerateAsync([$"text {i}", $"other {i}"], cancellationToken: Ct)).ToList();
        inner.Release();
        var answers = await Task.WhenAll(waiting);

        Assert.Equal(FakeEmbedder.Vector("first"), (await first)[0].Vector.ToArray());
        Assert.Equal(2, inner.Runs.Count); // "first" alone, then the five calls together
        Assert.Equal(10, inner.Runs[1].Count);
        for (var i = 0; i < 5; i++)
        {
            Assert.Equal(FakeEmbedder.Vector($"text {i}"), answers[i][0].Vector.ToArray());
            Assert.Equal(FakeEmbedder.Vector($"other {i}"), answers[i][1].Vector.ToArray());
        }
    }

    [Fact]
    public async Task Waiting_small_calls_share_runs_of_at_most_SmallRunTexts_texts_in_arrival_order()
    {
        using var inner = new FakeEmbedder();
        using var generator = new CoalescingEmbeddingGenerator(inner, new CoalescingEmbeddingOptions { MaxConcurrency = 1, SmallRunTexts = 4 });

        inner.Hold();
        var first = generator.GenerateAsync(["first"], cancellationToken: Ct);
        await inner.Started.Task.WaitAsync(Ct);
        var waiting = Enumerable.Range(0, 5).Select(i => generator.GenerateAsync([$"text {i}", $"other {i}"], cancellationToken: Ct)).ToList();
        var large = generator.GenerateAsync([.. Enumerable.Range(0, 6).Select(i => $"six {i}")], cancellationToken: Ct);
        inner.Release();
        var answers = await Task.WhenAll(waiting);
        var six = await large;

        Assert.Equal(FakeEmbedder.Vector("first"), (await first)[0].Vector.ToArray());
        // Two calls (4 texts) a run, the fifth alone (the next call would not fit), and a small call of 6 texts runs whole.
        Assert.Equal([1, 4, 4, 2, 6], inner.Runs.Select(r => r.Count));
        Assert.Equal(["text 0", "other 0", "text 1", "other 1"], inner.Runs[1]);
        for (var i = 0; i < 5; i++)
        {
            Assert.Equal(FakeEmbedder.Vector($"text {i}"), answers[i][0].Vector.ToArray());
            Assert.Equal(FakeEmbedder.Vector($"other {i}"), answers[i][1].Vector.ToArray());
        }

        Assert.Equal(Enumerable.Range(0, 6).Select(i => FakeEmbedder.Vector($"six {i}")), six.Select(v => v.Vector.ToArray()));
    }

    [Fact]
    public async Task A_bulk_call_is_cut_into_chunks_in_order_and_a_small_call_goes_before_its_remaining_chunks()
    {
        using var inner = new FakeEmbedder();
        using var generator = new CoalescingEmbeddingGenerator(inner, new CoalescingEmbeddingOptions { MaxConcurrency = 1, MaxBatchTexts = 4 });
        var texts = Enumerable.Range(0, 10).Select(i => $"bulk {i}").ToList();

        inner.Hold();
        var bulk = generator.GenerateAsync(texts, cancellationToken: Ct);
        await inner.Started.Task.WaitAsync(Ct);
        var query = generator.GenerateAsync(["a query"], cancellationToken: Ct);
        inner.Release();
        var vectors = await bulk;
        await query;

        Assert.Equal(texts.Select(FakeEmbedder.Vector), vectors.Select(v => v.Vector.ToArray()));
        Assert.Equal([4, 1, 4, 2], inner.Runs.Select(r => r.Count));
        Assert.Equal(["a query"], inner.Runs[1]);
        Assert.True(inner.Runs.Max(r => r.Count) <= 4);
    }

    [Fact]
    public async Task A_bulk_call_is_cut_into_runs_of_texts_of_one_length_as_the_model_counts_it_not_in_characters()
    {
        // The fake model counts words: short words make many tokens in few characters, one long word one token in many.
        var random = new Random(5);
        var texts = Enumerable.Range(0, 24).Select(i => i % 2 == 0
            ? string.Join(' ', Enumerable.Repeat("ab", 1 + random.Next(12)))
            : new string('x', 3 + random.Next(30)) + i).ToList();
        using var inner = new FakeEmbedder { InputLengths = t => t.Split(' ').Length };
        using var generator = new CoalescingEmbeddingGenerator(inner, new CoalescingEmbeddingOptions { MaxConcurrency = 1, MaxBatchTexts = 4 });

        var vectors = await generator.GenerateAsync(texts, cancellationToken: Ct);

        Assert.Equal(texts.Select(FakeEmbedder.Vector), vectors.Select(v => v.Vector.ToArray()));
        var runLengths = inner.Runs.SelectMany(r => r.Select(t => t.Split(' ').Length)).ToList();
        Assert.Equal(runLengths.Order(), runLengths);
        Assert.All(inner.Runs.Take(3), run => Assert.All(run, t => Assert.DoesNotContain(' ', t)));

        // Without the model's count, characters decide: the runs come in order of length in characters.
        using var plain = new FakeEmbedder();
        using var byCharacters = new CoalescingEmbeddingGenerator(plain, new CoalescingEmbeddingOptions { MaxConcurrency = 1, MaxBatchTexts = 4 });
        await byCharacters.GenerateAsync(texts, cancellationToken: Ct);
        var characterLengths = plain.Runs.SelectMany(r => r.Select(t => t.Length)).ToList();
        Assert.Equal(characterLengths.Order(), characterLengths);
    }

    [Fact]
    public async Task Runs_never_exceed_the_concurrency_and_a_failed_run_fails_only_its_callers()
    {
        using var inner = new FakeEmbedder { FailOn = "poison" };
        using var generator = new CoalescingEmbeddingGenerator(inner, new CoalescingEmbeddingOptions { MaxConcurrency = 2, MaxBatchTexts = 1 });

        var calls = Enumerable.Range(0, 40).Select(i => generator.GenerateAsync([i == 7 ? "poison" : $"t{i}"], cancellationToken: Ct)).ToList();
        var failed = await Assert.ThrowsAsync<InvalidOperationException>(() => calls[7]);
        var rest = await Task.WhenAll(calls.Where((_, i) => i != 7));

        Assert.Contains("poison", failed.Message, StringComparison.Ordinal);
        Assert.Equal(39, rest.Length);
        Assert.InRange(inner.MaxConcurrent, 1, 2);
    }

    [Fact]
    public void Metadata_and_the_inner_generator_are_reachable_through_it()
    {
        using var inner = new FakeEmbedder();
        using var generator = new CoalescingEmbeddingGenerator(inner);

        Assert.Equal(FakeEmbedder.Dimensions, generator.GetService<EmbeddingGeneratorMetadata>()!.DefaultModelDimensions);
        Assert.Same(inner, generator.GetService<FakeEmbedder>());
    }

    /// <summary>A fake model: a text's vector is derived from its characters; runs can be held at a gate and are recorded.</summary>
    private sealed class FakeEmbedder : IEmbeddingGenerator<string, Embedding<float>>, IEmbeddingInputLength
    {
        public const int Dimensions = 4;
        private readonly EmbeddingGeneratorMetadata _metadata = new("fake", null, "fake-model", Dimensions);
        private TaskCompletionSource _gate = Completed();
        private int _concurrent;

        public List<List<string>> Runs { get; } = [];

        public TaskCompletionSource Started { get; private set; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public int MaxConcurrent { get; private set; }

        public string? FailOn { get; init; }

        /// <summary>The model's length of a text (offered as <see cref="IEmbeddingInputLength"/>), or null: not offered.</summary>
        public Func<string, int>? InputLengths { get; init; }

        public int InputLength(string text) => InputLengths!(text);

        public static float[] Vector(string text) => [text.Length, text.Sum(c => c) % 101, text[0], text[^1]];

        public void Hold() => _gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        public void Release() => _gate.TrySetResult();

        public async Task<GeneratedEmbeddings<Embedding<float>>> GenerateAsync(
            IEnumerable<string> values, EmbeddingGenerationOptions? options = null, CancellationToken cancellationToken = default)
        {
            var texts = values.ToList();
            lock (Runs)
            {
                Runs.Add(texts);
                MaxConcurrent = Math.Max(MaxConcurrent, ++_concurrent);
            }

            try
            {
                Started.TrySetResult();
                await _gate.Task.ConfigureAwait(false);
                await Task.Delay(1, cancellationToken).ConfigureAwait(false);
                return FailOn is not null && texts.Contains(FailOn)
                    ? throw new InvalidOperationException($"the model refused '{FailOn}'")
                    : new GeneratedEmbeddings<Embedding<float>>(texts.Select(t => new Embedding<float>(Vector(t))));
            }
            finally
            {
                lock (Runs)
                {
                    _concurrent--;
                }
            }
        }

        public object? GetService(Type serviceType, object? serviceKey = null) =>
            serviceType == typeof(EmbeddingGeneratorMetadata) ? _metadata
            : serviceType == typeof(IEmbeddingInputLength) && InputLengths is null ? null
            : serviceType.IsInstanceOfType(this) ? this
            : null;

        public void Dispose()
        {
        }

        private static TaskCompletionSource Completed()
        {
            var done = new TaskCompletionSource();
            done.SetResult();
            return done;
        }
    }
}
