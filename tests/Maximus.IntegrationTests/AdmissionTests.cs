using System.Net;
using Maximus.Contracts.Memory;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using static Maximus.IntegrationTests.Http;

namespace Maximus.IntegrationTests;

/// <summary>Query-embedding requests beyond their bound are shed over HTTP with 429 + Retry-After, and the admitted ones run.</summary>
public sealed class AdmissionTests
{
    [Fact]
    public async Task A_search_beyond_the_bound_is_answered_429_with_retry_after_at_once_and_the_admitted_ones_succeed()
    {
        var gate = new HeldQueries();
        await using var host = new MaximusHostFactory("memory", "embedded", new Dictionary<string, string>
        {
            ["Maximus:Service:AdmissionPermitsPerCore"] = "1",
            ["Maximus:Service:RetryAfterSeconds"] = "7",
        }, services => HeldQueries.Decorate(services, gate));
        using var client = host.CreateClient();
        using (var ready = await EmbeddedApiTests.WaitReadyAsync(client))
        {
            Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        }

        using (var written = await client.PostAsync("/v1/memory/shed/entries", Json(new WriteMemoryRequest(MemoryType.Episodic, "the forklift broke down at dock 4")), Ct))
        {
            Assert.Equal(HttpStatusCode.Created, written.StatusCode);
        }

        var permits = Environment.ProcessorCount;
        var held = Enumerable.Range(0, permits)
            .Select(i => client.PostAsync("/v1/memory/shed/search", Json(new SearchMemoryRequest($"hold: which forklift broke down {i}")), Ct))
            .ToList();
        await gate.WaitForHeldAsync(permits);

        using var shed = await client.PostAsync("/v1/memory/shed/search", Json(new SearchMemoryRequest("hold: one too many")), Ct);
        var problem = await ReadProblemAsync(shed, HttpStatusCode.TooManyRequests);
        Assert.Equal(TimeSpan.FromSeconds(7), shed.Headers.RetryAfter?.Delta);
        Assert.Contains("retry", problem.Text("detail"), StringComparison.OrdinalIgnoreCase);
        Assert.Equal(permits, gate.Held); // the shed request never reached the model

        gate.Release();
        foreach (var response in await Task.WhenAll(held))
        {
            using (response)
            {
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            }
        }

        using var after = await client.PostAsync("/v1/memory/shed/search", Json(new SearchMemoryRequest("which forklift broke down?")), Ct);
        var hits = (await ReadJsonAsync(after, HttpStatusCode.OK))["hits"]!.AsArray();
        Assert.Contains("forklift", hits[0]!["entry"]!.Text("text"), StringComparison.Ordinal);
    }

    /// <summary>A fake gate in front of the real embedding model: texts starting "hold:" wait until released.</summary>
    private sealed class HeldQueries
    {
        private readonly TaskCompletionSource _release = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _held;

        public int Held => Volatile.Read(ref _held);

        public void Release() => _release.TrySetResult();

        public async Task WaitForHeldAsync(int count)
        {
            while (Held < count)
            {
                await Task.Delay(10, Ct);
            }
        }

        public static void Decorate(IServiceCollection services, HeldQueries gate)
        {
            var inner = services.Last(d => d.ServiceType == typeof(IEmbeddingGenerator<string, Embedding<float>>));
            services.Remove(inner);
            services.AddSingleton<IEmbeddingGenerator<string, Embedding<float>>>(sp => new Gated(
                (IEmbeddingGenerator<string, Embedding<float>>)(inner.ImplementationInstance
                    ?? inner.ImplementationFactory?.Invoke(sp)
                    ?? ActivatorUtilities.CreateInstance(sp, inner.ImplementationType!)),
                gate));
        }

        private sealed class Gated(IEmbeddingGenerator<string, Embedding<float>> inner, HeldQueries gate)
            : DelegatingEmbeddingGenerator<string, Embedding<float>>(inner)
        {
            public override async Task<GeneratedEmbeddings<Embedding<float>>> GenerateAsync(
                IEnumerable<string> values, EmbeddingGenerationOptions? options = null, CancellationToken cancellationToken = default)
            {
                var texts = values.ToList();
                if (texts.Exists(t => t.StartsWith("hold:", StringComparison.Ordinal)))
                {
                    Interlocked.Increment(ref gate._held);
                    await gate._release.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
                }

                return await base.GenerateAsync(texts, options, cancellationToken).ConfigureAwait(false);
            }
        }
    }
}
